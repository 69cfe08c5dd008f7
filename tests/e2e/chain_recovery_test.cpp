// Incremental checkpoints end to end, with real processes: the delta_sum
// fixture (RunningSum whose summing operator writes a complete snapshot and
// then deltas over the newest complete checkpoint) runs on a cluster while
// nodes and the coordinator are killed, a chain's base is damaged, and a
// savepoint of a chain is restored at another parallelism. Its output must
// equal, as a multiset of lines, the independent RunningSum reference; where
// recovery falls back, the checkpoint it falls back to is computed from the
// store's records.
#include <gtest/gtest.h>

#include <dirent.h>

#include <chrono>
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

// Files with keys of their own, long enough for several checkpoints.
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
                                  const std::string& max_deltas) {
  std::vector<std::string> args = {"--input"};
  args.insert(args.end(), in.paths.begin(), in.paths.end());
  args.insert(args.end(), {"--output", out, "--max-deltas", max_deltas});
  return args;
}

// Small batches and one credit per channel keep a run going for a few seconds.
std::vector<std::string> options(const std::string& parallelism, const std::string& retained) {
  return {"--parallelism", parallelism, "--checkpoint-interval",  "150",   "--batch-size", "16",
          "--credit",      "1",         "--retained-checkpoints", retained};
}

std::set<uint64_t> committed_checkpoints(const std::string& dir) {
  std::set<uint64_t> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (auto* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.rfind("part-", 0) != 0) continue;
      try {
        out.insert(std::stoull(name.substr(name.rfind('-') + 1)));
      } catch (const std::exception&) {
      }
    }
    closedir(d);
  }
  return out;
}

bool await_committed(const std::string& dir, size_t count) {
  auto until = std::chrono::steady_clock::now() + 60s;
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

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// kill -9 of a node while every checkpoint after the first is a delta and
// only the newest is retained: the restore reads whole chains (the surviving
// node's local copies, the store's for the rest) and the output is exact.
TEST(chain_recovery, node_kill_restores_whole_chains) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 111);
  auto out = c.dir() / "out";
  auto opts = options("2", "1");
  opts.insert(opts.end(), {"--restart-strategy", "fixed-delay:100:5"});
  auto id = c.submit(fixture_library("delta_sum"), opts, job_args(in, out, "1000"));
  ASSERT_TRUE(await_committed(out, 3)) << c.coordinator_process().log();
  c.node(1).kill9();
  expect_finished(c, id);
  expect_output(in, {out});
  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("restarting (attempt 1) from checkpoint "), std::string::npos) << log;
  EXPECT_EQ(log.find("cannot be restored"), std::string::npos) << log;
}

// The base of the newest checkpoint's chain is damaged in the store (and the
// nodes start over without local copies): the restore fails naming that
// snapshot, every checkpoint whose chain needs it counts as damaged at once,
// and the job restarts from the newest complete checkpoint before the base
// (or the beginning), with exact output.
TEST(chain_recovery, damaged_base_spoils_its_whole_chain) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 121);
  auto out = c.dir() / "out";
  auto id = c.submit(fixture_library("delta_sum"), options("2", "10"), job_args(in, out, "2"));
  ASSERT_TRUE(await_committed(out, 5)) << c.coordinator_process().log();
  c.coordinator_process().kill9();
  c.node(0).kill9();
  c.node(1).kill9();
  auto store = c.dir() / "coordinator/checkpoints";
  auto complete = complete_checkpoints(store, std::stoull(id));
  ASSERT_GE(complete.size(), 2u);
  auto newest = complete.back();
  // The summing tasks (2 and 3) write chains; take one whose snapshot is a
  // delta if there is one, and damage its base.
  auto needs = checkpoint_needs(store, std::stoull(id), newest);
  uint32_t task = 2;
  uint64_t base = newest;
  for (const auto& [t, n] : needs)
    if (!n.empty()) {
      task = t;
      base = n.front();
      break;
    }
  corrupt_stored_snapshot(store, std::stoull(id), base, task);
  uint64_t fallback = 0;
  for (auto cp : complete)
    if (cp < base) fallback = cp;
  c.restart_coordinator();
  c.restart_node(0, true);
  c.restart_node(1, true);
  expect_finished(c, id);
  expect_output(in, {out});
  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("checkpoint " + std::to_string(newest) + " cannot be restored"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("checkpoint " + std::to_string(base) + ", task " + std::to_string(task) +
                     ": damaged snapshot"),
            std::string::npos)
      << log;
  EXPECT_EQ(occurrences(log, "cannot be restored"), 1u) << log;
  EXPECT_NE(log.find("restarting (attempt 2) from " +
                     (fallback ? "checkpoint " + std::to_string(fallback) + "\n"
                               : std::string("the beginning"))),
            std::string::npos)
      << "base " << base << ", fallback " << fallback << "\n"
      << log;
}

// stop --savepoint while the summing operator writes deltas and one
// checkpoint is retained: the stopped job's checkpoints are dropped but the
// savepoint keeps its chain, and a job submitted from it at parallelism 3
// takes every old task's chain. Both outputs together are one exact run.
TEST(chain_recovery, savepoint_chain_resubmitted_with_other_parallelism) {
  test_cluster c(2, 2);
  auto in = write_inputs(c.dir(), 131);
  auto out1 = c.dir() / "out1";
  auto out2 = c.dir() / "out2";
  auto id = c.submit(fixture_library("delta_sum"), options("2", "1"), job_args(in, out1, "1000"));
  ASSERT_TRUE(await_committed(out1, 3));
  auto stopped = c.client("stop", {"--savepoint", id});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  auto at = stopped.out.find("savepoint ");
  ASSERT_NE(at, std::string::npos) << stopped.out;
  auto savepoint = trimmed(stopped.out.substr(at + 10));
  auto opts = options("3", "1");
  opts.insert(opts.end(), {"--from-savepoint", savepoint});
  auto resumed = c.submit(fixture_library("delta_sum"), opts, job_args(in, out2, "1000"));
  expect_finished(c, resumed);
  expect_output(in, {out1, out2});
}

}  // namespace
}  // namespace nagare::testing
