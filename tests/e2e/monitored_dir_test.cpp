// The monitored directory source end to end, with real processes: RunningSum
// reads a directory (text_file_source::monitor) while files are added to it;
// its committed output must equal, as a multiset of lines, the sums the
// independent reference computes from the files, also when a node is killed
// with kill -9 after some files were processed (exactly once: no sum lost,
// none twice).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cluster.hpp"
#include "input_dir.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

// Waits until the committed output has `n` lines (or more); false on timeout.
bool await_lines(const std::string& out, size_t n, std::chrono::seconds deadline = 25s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (read_result_lines(out).size() < n) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::vector<std::string> job_args(const input_dir& in, const std::string& out) {
  return {"--input-dir", in.path(), "--discovery-ms", "50", "--output", out};
}

// `batch`: records per batch; small batches and one credit per channel keep a
// run going for a few seconds, so that a kill lands in its middle.
std::vector<std::string> options(const std::string& batch = "64") {
  std::vector<std::string> o = {"--parallelism", "2", "--checkpoint-interval", "150"};
  o.insert(o.end(), {"--batch-size", batch, "--credit", "1"});
  o.insert(o.end(), {"--restart-strategy", "fixed-delay:100:5"});
  return o;
}

// Files added while the job runs are read once each; nothing else appears.
TEST(monitored_directory, files_added_while_running_are_read_once) {
  test_cluster c(2, 2);
  input_dir in(c.dir() / "in");
  in.add(71, 0, 3000);
  in.add(71, 1, 2000);
  auto out = c.dir() / "out";
  auto id = c.submit(job_library("running_sum"), options(), job_args(in, out));
  // The reference's count (the generated input has some malformed lines).
  ASSERT_TRUE(await_lines(out, in.expected().size())) << read_result_lines(out).size() << " lines\n"
                                                      << c.coordinator_process().log();
  in.add(71, 2, 4000);
  std::this_thread::sleep_for(200ms);
  in.add(71, 3, 1000);
  in.add(71, 4, 1500);
  auto expected = in.expected();
  ASSERT_TRUE(await_lines(out, expected.size())) << c.coordinator_process().log();
  std::this_thread::sleep_for(500ms);  // a few more checkpoints: nothing more may come
  auto diff = multiset_difference(expected, read_result_lines(out));
  EXPECT_TRUE(diff.empty()) << diff;
  auto cancelled = c.client("cancel", {id});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.err;
}

// kill -9 of a node after some files were processed: the job restarts from
// its latest checkpoint, its enumerator restored, every split re-dealt to
// the subtasks left and resumed at its position; files added meanwhile are
// read too. The output equals the failure-free run's.
TEST(monitored_directory, node_kill_keeps_output_exactly_once) {
  test_cluster c(2, 2);
  input_dir in(c.dir() / "in");
  in.add(81, 0, 40000);
  in.add(81, 1, 40000);
  auto out = c.dir() / "out";
  auto id = c.submit(job_library("running_sum"), options("16"), job_args(in, out));
  ASSERT_TRUE(await_lines(out, 2000)) << c.coordinator_process().log();
  ASSERT_LT(read_result_lines(out).size(), in.expected().size()) << "killed too late";
  in.add(81, 2, 20000);
  c.node(1).kill9();
  in.add(81, 3, 20000);
  auto expected = in.expected();
  ASSERT_TRUE(await_lines(out, expected.size()))
      << read_result_lines(out).size() << " of " << expected.size() << "\n"
      << c.coordinator_process().log();
  std::this_thread::sleep_for(500ms);
  auto diff = multiset_difference(expected, read_result_lines(out));
  EXPECT_TRUE(diff.empty()) << diff;
  auto log = c.coordinator_process().log();
  // Output was committed before the kill: the restart restores a checkpoint.
  EXPECT_NE(log.find("restarting (attempt 1) from checkpoint "), std::string::npos) << log;
  c.client("cancel", {id});
}

// A monitored directory that does not exist fails the submission, in one line.
TEST(monitored_directory, missing_directory_is_rejected) {
  test_cluster c(1, 1);
  auto r = c.client("submit", {job_library("running_sum")},
                    {"--input-dir", c.dir() / "nowhere", "--output", c.dir() / "out"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nagare::testing
