// kafka_sink across failures, with real processes: the kafka_sink_job
// fixture writes the numbers 0 .. N-1 to a topic of the test broker on a
// two-node cluster with checkpoints, while a node process dies in the window
// between a checkpoint's completion and the end of the sink's commit (the
// kafka-sink-commit fault point, nagare/kafka_sink.hpp) or is killed. The
// topic, read by kcat with read_committed, must hold every number exactly
// once (exactly-once) or at least once (at-least-once).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "cluster.hpp"
#include "job_waits.hpp"
#include "kafka_broker.hpp"
#include "process.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

constexpr int records = 20000;

std::vector<std::string> job_options() {
  return {"--parallelism", "2", "--checkpoint-interval", "100"};
}

std::vector<std::string> job_args(const kafka_broker& b, const std::string& delivery) {
  return {"--bootstrap", b.bootstrap(),           "--topic",    "numbers",
          "--records",   std::to_string(records), "--delivery", delivery};
}

// How often each number 0 .. records-1 is in the topic; anything else is
// counted under -1.
std::map<long, int> counts(const kafka_broker& b) {
  std::map<long, int> out;
  for (const auto& v : b.values("numbers")) {
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    ++out[(*end == '\0' && n >= 0 && n < records) ? n : -1];
  }
  return out;
}

// Sets NAGARE_FAULT for the processes started while it lives.
class fault_env {
 public:
  explicit fault_env(const std::string& value) { ::setenv("NAGARE_FAULT", value.c_str(), 1); }
  ~fault_env() { ::unsetenv("NAGARE_FAULT"); }
};

// The node process running the first commit with records dies at PHASE of
// it; the job restarts from that completed checkpoint (on the other node, or
// on the dead one, which the test starts again) and finishes.
class kafka_sink_crash : public ::testing::TestWithParam<std::string> {};

TEST_P(kafka_sink_crash, every_record_exactly_once) {
  kafka_broker b({"numbers:4"});
  temp_dir faults;
  auto fault = faults / "fault";
  write_file(fault, "");
  std::unique_ptr<test_cluster> c;
  {
    fault_env env("kafka-sink-commit:" + GetParam() + ":" + fault);
    c = std::make_unique<test_cluster>(2, 2);
  }
  auto id =
      c->submit(fixture_library("kafka_sink_job"), job_options(), job_args(b, "exactly-once"));
  int dead = -1;
  for (auto until = std::chrono::steady_clock::now() + 60s; dead < 0;) {
    for (int i : {0, 1})
      if (!c->node(i).running()) dead = i;
    if (std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GE(dead, 0) << "the fault point never fired:\n" << c->node(0).log() << c->node(1).log();
  EXPECT_EQ(c->node(dead).wait_exit(5s), 86) << c->node(dead).log();
  EXPECT_NE(c->node(dead).log().find("fault injected: kafka-sink-commit:" + GetParam()),
            std::string::npos);
  c->restart_node(dead);
  expect_finished(*c, id);
  auto seen = counts(b);
  EXPECT_EQ(seen.count(-1), 0u);
  EXPECT_EQ(seen.size(), static_cast<size_t>(records));
  int twice = 0;
  for (const auto& [n, k] : seen) twice += k > 1;
  EXPECT_EQ(twice, 0);
  auto log = c->coordinator_process().log();
  EXPECT_NE(log.find("restarting (attempt 1) from checkpoint "), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(phases, kafka_sink_crash, ::testing::Values("before", "middle", "after"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// At least once: both nodes are killed while the job writes; after the
// restart every number is there (duplicates allowed).
TEST(kafka_sink_at_least_once, loses_nothing_when_nodes_are_killed) {
  kafka_broker b({"numbers:4"});
  test_cluster c(2, 2);
  auto id =
      c.submit(fixture_library("kafka_sink_job"), job_options(), job_args(b, "at-least-once"));
  for (auto until = std::chrono::steady_clock::now() + 60s;
       b.values("numbers").empty() && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(20ms);
  c.node(0).kill9();
  c.node(1).kill9();
  c.restart_node(0);
  c.restart_node(1);
  expect_finished(c, id);
  auto seen = counts(b);
  EXPECT_EQ(seen.count(-1), 0u);
  EXPECT_EQ(seen.size(), static_cast<size_t>(records));
}

}  // namespace
}  // namespace nagare::testing
