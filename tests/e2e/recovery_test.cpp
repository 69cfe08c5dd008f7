// Fault tolerance end to end, with real processes: RunningSum runs on a
// cluster with checkpoints while nodes, the coordinator or user code fail;
// its visible output must equal, as a multiset of lines, the output of a
// failure-free run as the independent reference computes it.
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "cluster.hpp"
#include "corrupt_snapshot.hpp"
#include "job_waits.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

struct job_input {
  std::vector<std::string> paths;
  std::vector<std::string> expected;
};

// Files with keys of their own (so the expected sums do not depend on how
// the files interleave), large enough that a run lasts several checkpoints.
job_input write_inputs(const temp_dir& dir, uint64_t seed, uint32_t files = 4,
                       size_t lines = 60000) {
  job_input in;
  std::vector<std::string> texts;
  for (uint32_t i = 0; i < files; ++i) {
    texts.push_back(generate_running_sum_input(seed, i, lines));
    in.paths.push_back(dir / ("in" + std::to_string(i) + ".csv"));
    write_file(in.paths.back(), texts.back());
  }
  in.expected = expected_running_sums(texts);
  return in;
}

std::vector<std::string> job_args(const job_input& in, const std::string& out,
                                  std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--input"};
  args.insert(args.end(), in.paths.begin(), in.paths.end());
  args.insert(args.end(), {"--output", out});
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Small batches and one credit per channel keep a run going for a few
// seconds, so that failures land in its middle.
std::vector<std::string> slow_options(const std::string& parallelism, const std::string& interval) {
  return {"--parallelism", parallelism, "--checkpoint-interval", interval, "--batch-size", "16",
          "--credit",      "1"};
}

// The checkpoints whose output is visible in `dir` (files part-SSSSS-CCCCCCCCCC).
std::set<uint64_t> committed_checkpoints(const std::string& dir) {
  std::set<uint64_t> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (auto* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.rfind("part-", 0) != 0) continue;
      auto dash = name.rfind('-');
      try {
        out.insert(std::stoull(name.substr(dash + 1)));
      } catch (const std::exception&) {
      }
    }
    closedir(d);
  }
  return out;
}

// Waits until output of `count` checkpoints is visible; false on timeout.
bool await_committed(const std::string& dir, size_t count, std::chrono::seconds deadline = 60s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (committed_checkpoints(dir).size() < count) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}
void expect_output(const job_input& in, const std::vector<std::string>& dirs) {
  std::vector<std::string> got;
  for (const auto& d : dirs) {
    auto lines = read_result_lines(d);
    got.insert(got.end(), lines.begin(), lines.end());
  }
  auto diff = multiset_difference(in.expected, got);
  EXPECT_TRUE(diff.empty()) << diff;
}

// kill -9 of a node in the middle of a run on two nodes: the job restarts on
// the node left from its latest complete checkpoint (or from the beginning,
// when killed before the first one) and its output is exactly the
// failure-free output. Parameter: checkpoints committed before the kill.
class node_kill : public ::testing::TestWithParam<size_t> {};

TEST_P(node_kill, output_equals_failure_free_run) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 11 + GetParam());
  auto out = c.dir() / "out";
  auto options = slow_options("2", "200");
  options.insert(options.end(), {"--restart-strategy", "fixed-delay:100:5"});
  auto id = c.submit(job_library("running_sum"), options, job_args(in, out));
  if (GetParam() == 0)
    std::this_thread::sleep_for(100ms);
  else
    ASSERT_TRUE(await_committed(out, GetParam())) << c.coordinator_process().log();
  c.node(1).kill9();
  expect_finished(c, id);
  expect_output(in, {out});
  // The reason names the lost node ("node N was lost" or "task ... on node N died",
  // whichever the master heard first).
  auto restarts = c.client("shell", {"-c", "restarts " + id});
  EXPECT_NE(restarts.out.find(c.node_name(1)), std::string::npos) << restarts.out << restarts.err;
  auto log = c.coordinator_process().log();
  auto from = GetParam() == 0 ? std::string("restarting (attempt 1) from")
                              : std::string("restarting (attempt 1) from checkpoint ");
  EXPECT_NE(log.find(from), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(after_checkpoints, node_kill, ::testing::Values(0, 1, 3));

// A node that comes back is used again: after the kill the job cannot be
// placed on the one node left (it needs 4 slots), and runs once the node is
// restarted.
TEST(recovery, restarted_node_is_used_again) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 21, 4, 30000);
  auto out = c.dir() / "out";
  auto options = slow_options("4", "200");
  auto id = c.submit(job_library("running_sum"), options, job_args(in, out));
  ASSERT_TRUE(await_committed(out, 1)) << c.coordinator_process().log();
  c.node(1).kill9();
  std::this_thread::sleep_for(500ms);
  c.restart_node(1);
  expect_finished(c, id);
  expect_output(in, {out});
}

// --fail-at: the operator throws once; the job restarts and gives the
// failure-free output.
TEST(recovery, user_code_failure_restarts_with_same_output) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 31);
  auto out = c.dir() / "out";
  auto id = c.submit(job_library("running_sum"), slow_options("2", "100"),
                     job_args(in, out, {"--fail-at", "40000"}));
  expect_finished(c, id);
  expect_output(in, {out});
  auto restarts = c.client("shell", {"-c", "restarts " + id});
  EXPECT_NE(restarts.out.find("fail-at"), std::string::npos) << restarts.out << restarts.err;
}

// `kill ACTOR` in the shell: the task dies as if it crashed; the job restarts.
TEST(recovery, shell_kill_restarts_the_job) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 41);
  auto out = c.dir() / "out";
  auto id = c.submit(job_library("running_sum"), slow_options("2", "150"), job_args(in, out));
  ASSERT_TRUE(await_committed(out, 1));
  auto killed = c.client("shell", {"-c", "kill " + id + ".1"});
  EXPECT_EQ(killed.exit_code, 0) << killed.err;
  expect_finished(c, id);
  expect_output(in, {out});
  auto restarts = c.client("shell", {"-c", "restarts " + id});
  EXPECT_NE(restarts.out.find("unhandled_exception"), std::string::npos) << restarts.out;
}

// kill -9 of the coordinator: its nodes lose their tasks and reconnect to a
// coordinator started again on the same data directory, which resumes the
// job from its latest complete checkpoint.
TEST(recovery, coordinator_restart_resumes_the_job) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 51);
  auto out = c.dir() / "out";
  auto id = c.submit(job_library("running_sum"), slow_options("2", "150"), job_args(in, out));
  ASSERT_TRUE(await_committed(out, 2));
  c.coordinator_process().kill9();
  std::this_thread::sleep_for(300ms);
  c.restart_coordinator();
  expect_finished(c, id);
  expect_output(in, {out});
  EXPECT_NE(c.coordinator_process().log().find("resumes"), std::string::npos)
      << c.coordinator_process().log();
}

// A restarted coordinator resumes a RUNNING job whenever its nodes register
// again within the slot wait (60 s), in any order and timing: the job needs
// all four slots of the two nodes, so it can only run once both are back.
enum class nodes_return { early, late, one_at_a_time };

class coordinator_restart : public ::testing::TestWithParam<nodes_return> {};

TEST_P(coordinator_restart, job_resumes_when_the_nodes_return) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 53);
  auto out = c.dir() / "out";
  auto id = c.submit(job_library("running_sum"), slow_options("4", "150"), job_args(in, out));
  ASSERT_TRUE(await_committed(out, 2)) << c.coordinator_process().log();
  c.coordinator_process().kill9();
  switch (GetParam()) {
    case nodes_return::early:  // the nodes keep reconnecting and are there first
      c.restart_coordinator();
      break;
    case nodes_return::late:  // both nodes stalled for longer than 250 ms slot retries
      for (int i : {0, 1}) ::kill(c.node(i).pid(), SIGSTOP);
      c.restart_coordinator();
      std::this_thread::sleep_for(2500ms);
      for (int i : {0, 1}) ::kill(c.node(i).pid(), SIGCONT);
      break;
    case nodes_return::one_at_a_time:  // both servers died; they come back one by one
      c.node(0).kill9();
      c.node(1).kill9();
      c.restart_coordinator();
      std::this_thread::sleep_for(1000ms);
      c.restart_node(0);
      std::this_thread::sleep_for(1500ms);
      c.restart_node(1);
      break;
  }
  expect_finished(c, id);
  expect_output(in, {out});
  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("resumes"), std::string::npos) << log;
  EXPECT_EQ(log.find("cannot restart"), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(nodes, coordinator_restart,
                         ::testing::Values(nodes_return::early, nodes_return::late,
                                           nodes_return::one_at_a_time),
                         [](const ::testing::TestParamInfo<nodes_return>& p) {
                           switch (p.param) {
                             case nodes_return::early:
                               return std::string("early");
                             case nodes_return::late:
                               return std::string("late");
                             default:
                               return std::string("one_at_a_time");
                           }
                         });

// A damaged snapshot in the checkpoint store is detected when the job is
// restored, and recovery falls back to the previous complete checkpoint;
// the output stays exact. The nodes start over with empty data directories,
// so no local copy hides the damage.
TEST(recovery, damaged_snapshot_falls_back_to_previous_checkpoint) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 61);
  auto out = c.dir() / "out";
  auto id = c.submit(job_library("running_sum"), slow_options("2", "150"), job_args(in, out));
  ASSERT_TRUE(await_committed(out, 3));
  c.coordinator_process().kill9();
  c.node(0).kill9();
  c.node(1).kill9();
  auto store = c.dir() / "coordinator/checkpoints";
  auto complete = complete_checkpoints(store, std::stoull(id));
  ASSERT_GE(complete.size(), 2u);
  corrupt_stored_snapshot(store, std::stoull(id), complete.back(), 0);
  c.restart_coordinator();
  c.restart_node(0, true);
  c.restart_node(1, true);
  expect_finished(c, id);
  expect_output(in, {out});
  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("checkpoint " + std::to_string(complete.back()) + " cannot be restored"),
            std::string::npos)
      << log;
}

// stop --savepoint, then a new job from the savepoint with another
// parallelism: both outputs together are exactly one failure-free run.
TEST(recovery, savepoint_resubmitted_with_other_parallelism) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 71);
  auto out1 = c.dir() / "out1";
  auto out2 = c.dir() / "out2";
  auto id = c.submit(job_library("running_sum"), slow_options("2", "200"), job_args(in, out1));
  ASSERT_TRUE(await_committed(out1, 1));
  auto stopped = c.client("stop", {"--savepoint", id});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  auto at = stopped.out.find("savepoint ");
  ASSERT_NE(at, std::string::npos) << stopped.out;
  auto savepoint = trimmed(stopped.out.substr(at + 10));
  auto listed = c.client("list", {});
  EXPECT_NE(listed.out.find("STOPPED"), std::string::npos) << listed.out;
  auto kept = c.client("shell", {"-c", "savepoints"});
  EXPECT_NE(kept.out.find(savepoint + " "), std::string::npos) << kept.out << kept.err;
  auto options = slow_options("3", "200");
  options.insert(options.end(), {"--from-savepoint", savepoint});
  auto resumed = c.submit(job_library("running_sum"), options, job_args(in, out2));
  expect_finished(c, resumed);
  expect_output(in, {out1, out2});
}

// --at-least-once skips alignment: after a node is killed, records may be
// processed twice (so later running sums may count a value twice, and lines
// repeat), but no record is lost: every key has at least as many output
// lines as it has input records.
TEST(recovery, at_least_once_loses_nothing) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 81);
  auto out = c.dir() / "out";
  auto options = slow_options("2", "150");
  options.push_back("--at-least-once");
  auto id = c.submit(job_library("running_sum"), options, job_args(in, out));
  ASSERT_TRUE(await_committed(out, 1));
  c.node(1).kill9();
  expect_finished(c, id);
  auto per_key = [](const std::vector<std::string>& lines) {
    std::map<std::string, size_t> n;
    for (const auto& l : lines) ++n[l.substr(0, l.rfind(','))];
    return n;
  };
  auto expected = per_key(in.expected);
  auto got = per_key(read_result_lines(out));
  size_t short_keys = 0;
  for (const auto& [key, n] : expected)
    if (got[key] < n) ++short_keys;
  EXPECT_EQ(short_keys, 0u);
  EXPECT_EQ(got.size(), expected.size()) << "keys that are not in the input";
}

}  // namespace
}  // namespace nagare::testing
