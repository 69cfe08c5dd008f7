// The leveldb state backend end to end, with real processes: the keyed count
// (jobs/keyed_count) over 400,000 keys keeps its counts in each node's
// LevelDB with a cache of a few hundred keys and writes incremental
// checkpoints; it recovers from a node killed with SIGKILL (the restarted
// tasks go on with the delta chains they restored) and from a savepoint at
// another parallelism. The counts it writes at the end must equal the counts
// computed here from the generator's keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "cluster.hpp"
#include "job_waits.hpp"
#include "process.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t records = 1'500'000, keys = 400'000, seed = 5;

// SplitMix64's finalizer, as nagare::mix64 (nagare/hash.hpp).
uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// What keyed_count writes: key i of the stream is mix64(seed * golden + i) % keys
// (jobs/keyed_count/bench_key.hpp), one "key<TAB>count" line per key.
std::map<uint64_t, uint64_t> expected_counts() {
  std::map<uint64_t, uint64_t> counts;
  for (uint64_t i = 0; i < records; ++i) ++counts[mix64(seed * 0x9e3779b97f4a7c15ULL + i) % keys];
  return counts;
}

std::map<uint64_t, uint64_t> counts_in(const std::vector<std::string>& dirs) {
  std::map<uint64_t, uint64_t> got;
  for (const auto& d : dirs)
    for (const auto& line : read_result_lines(d)) {
      std::istringstream in(line);
      uint64_t k = 0, n = 0;
      in >> k >> n;
      EXPECT_TRUE(got.emplace(k, n).second) << "key " << k << " written twice";
    }
  return got;
}

std::vector<std::string> job_args(const std::string& out) {
  return {"--records", std::to_string(records), "--keys",   std::to_string(keys),
          "--seed",    std::to_string(seed),    "--output", out};
}

// The leveldb backend with a cache far smaller than the keys (so keys are
// evicted and read back all the time) and checkpoints every 200 ms.
std::vector<std::string> leveldb_options(const std::string& parallelism) {
  return {"--parallelism",   parallelism, "--checkpoint-interval", "200",
          "--state-backend", "leveldb",   "--state-cache-keys",    "500",
          "--batch-size",    "256",       "--restart-strategy",    "fixed-delay:100:5"};
}

// The sizes in bytes of the job's completed checkpoints, from the admin shell.
std::vector<double> checkpoint_sizes(test_cluster& c, const std::string& id) {
  auto listed = c.client("shell", {"-c", "checkpoints " + id});
  std::vector<double> sizes;
  std::regex row(R"(COMPLETED.*?([0-9.]+) (B|KiB|MiB|GiB))");
  std::istringstream in(listed.out);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    double unit = m[2] == "B" ? 1 : m[2] == "KiB" ? 1024 : m[2] == "MiB" ? 1 << 20 : 1 << 30;
    sizes.push_back(std::stod(m[1]) * unit);
  }
  return sizes;
}

bool await_checkpoint_sizes(test_cluster& c, const std::string& id, size_t count,
                            std::chrono::seconds deadline = 120s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (checkpoint_sizes(c, id).size() < count) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

size_t files_under(const std::string& dir) {
  std::error_code ec;
  size_t n = 0;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec))
    n += it->is_regular_file() ? 1 : 0;
  return n;
}

// kill -9 of a node after several checkpoints, most of them deltas: the job
// restarts from the latest complete checkpoint (its keyed state a chain of
// deltas over a complete snapshot) and the counts are exactly right. The
// surviving node removes its tasks' state directories once they end.
TEST(state_leveldb_recovery, node_kill_restores_delta_chains) {
  test_cluster c(2, 2);
  auto out = c.dir() / "out";
  auto id = c.submit(job_library("keyed_count"), leveldb_options("2"), job_args(out));
  ASSERT_TRUE(await_checkpoint_sizes(c, id, 10)) << c.coordinator_process().log();
  auto sizes = checkpoint_sizes(c, id);
  c.node(1).kill9();
  expect_finished(c, id, 300s);
  EXPECT_TRUE(counts_in({out}) == expected_counts()) << "the counts differ";
  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("restarting (attempt 1) from checkpoint "), std::string::npos) << log;
  // Deltas hold a fraction of the state: once most keys exist, a checkpoint is less than half
  // as large as the largest one before the kill.
  ASSERT_FALSE(sizes.empty());
  auto largest = *std::max_element(sizes.begin(), sizes.end());
  EXPECT_LT(*std::min_element(sizes.begin(), sizes.end()), largest / 2);
  std::printf("[ figures  ] checkpoints before the kill (bytes):");
  for (auto s : sizes) std::printf(" %.0f", s);
  std::printf("\n");
  const std::string state_dir = c.dir() / "node0/state";
  auto until = std::chrono::steady_clock::now() + 10s;
  while (files_under(state_dir) != 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(files_under(state_dir), 0u) << "state directories left behind";
}

// stop --savepoint of a leveldb job after several (incremental) checkpoints,
// then a new job from the savepoint at parallelism 3: every new subtask
// restores its key groups from the delta chains of the two old ones, and the
// counts are exactly right.
TEST(state_leveldb_recovery, savepoint_chains_restore_at_another_parallelism) {
  test_cluster c(2, 2);
  auto out1 = c.dir() / "out1";
  auto out2 = c.dir() / "out2";
  auto id = c.submit(job_library("keyed_count"), leveldb_options("2"), job_args(out1));
  ASSERT_TRUE(await_checkpoint_sizes(c, id, 4)) << c.coordinator_process().log();
  auto stopped = c.client("stop", {"--savepoint", id});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  auto at = stopped.out.find("savepoint ");
  ASSERT_NE(at, std::string::npos) << stopped.out;
  auto savepoint = trimmed(stopped.out.substr(at + 10));
  auto options = leveldb_options("3");
  options.insert(options.end(), {"--from-savepoint", savepoint});
  auto resumed = c.submit(job_library("keyed_count"), options, job_args(out2));
  expect_finished(c, resumed, 300s);
  EXPECT_TRUE(counts_in({out1, out2}) == expected_counts()) << "the counts differ";
}

}  // namespace
}  // namespace nagare::testing
