// Watermarks through a real job: generated in the sources, carried in-band
// over a keyed exchange (inside one process and between two node processes),
// merged per task as the minimum over its channels, and seen by a keyed
// process function's event-time timers (tests/fixtures/watermark_probe.cpp).
// The expected timers are computed here from the input alone.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "cluster.hpp"
#include "process.hpp"

namespace nagare::testing {
namespace {

constexpr int64_t records = 300000;

struct probe_output {
  std::set<std::pair<int64_t, int64_t>> timers;  // (key, time)
  size_t duplicates = 0;
  size_t running = 0;  // timers a watermark before the end of input fired
  size_t early = 0;    // timers fired before the watermark reached them
  std::vector<std::string> late;
};

probe_output parse(const std::vector<std::string>& lines) {
  probe_output out;
  for (const auto& line : lines) {
    std::stringstream in(line);
    std::string kind, key, time, when, order;
    std::getline(in, kind, ',');
    if (kind == "late") {
      out.late.push_back(line);
      continue;
    }
    std::getline(in, key, ',');
    std::getline(in, time, ',');
    std::getline(in, when, ',');
    std::getline(in, order, ',');
    EXPECT_EQ(kind, "timer") << line;
    if (!out.timers.emplace(std::stoll(key), std::stoll(time)).second) ++out.duplicates;
    if (when == "running") ++out.running;
    if (order != "ok") ++out.early;
  }
  return out;
}

// One timer per key (value % 16) and second of the values 0 .. records-1 that it holds.
std::set<std::pair<int64_t, int64_t>> expected_timers() {
  std::set<std::pair<int64_t, int64_t>> t;
  for (int64_t v = 0; v < records; ++v) t.emplace(v % 16, v / 1000 * 1000 + 999);
  return t;
}

void check(const probe_output& got) {
  EXPECT_TRUE(got.late.empty()) << got.late.size() << " late records, the first: " << got.late[0];
  EXPECT_EQ(got.duplicates, 0u);
  EXPECT_TRUE(got.timers == expected_timers()) << got.timers.size() << " timers fired";
  EXPECT_EQ(got.early, 0u) << "a timer fired before the watermark reached its time";
  // Watermarks reached the keyed operator while the input was still flowing: the timers of
  // the first seconds fired then, not only at the end.
  EXPECT_GT(got.running, 16u) << "no watermark arrived before the end of input";
}

// In one process (`nagare run`, parallelism 2).
TEST(watermark, flows_through_a_keyed_exchange_in_one_process) {
  temp_dir dir;
  auto out = dir / "out";
  auto r = run_process({nagare_bin(), "run", fixture_library("watermark_probe"), "--parallelism",
                        "2", "--", "--records", std::to_string(records), "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  check(parse(read_result_lines(out)));
}

// Between processes: two nodes with one slot each, so each source subtask's watermarks cross
// to the other node's keyed task over BASP.
TEST(watermark, flows_between_node_processes) {
  test_cluster c(2, 1);
  auto out = c.dir() / "out";
  auto id = c.submit(fixture_library("watermark_probe"), {"--parallelism", "2"},
                     {"--records", std::to_string(records), "--output", out});
  auto waited = c.client("wait", {id});
  ASSERT_EQ(waited.exit_code, 0) << waited.err << waited.out;
  check(parse(read_result_lines(out)));
}

}  // namespace
}  // namespace nagare::testing
