// Jobs that never end by themselves (a monitored directory), with real
// processes: a cluster's `stop --savepoint` ends one with its output
// committed, and a job from that savepoint goes on exactly once; `nagare run`
// stops one cleanly on SIGTERM (with --state-dir and --savepoint-on-stop, to
// resume it later from the savepoint) and cancels it on a second SIGINT.
// Outputs are compared, as multisets of lines, with what the independent
// RunningSum reference computes from the files.
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cluster.hpp"
#include "input_dir.hpp"
#include "job_waits.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    ::closedir(d);
  }
  return names;
}

// The sink's work files left in OUT/_nagare (sealed or in progress): after a
// clean stop there are none, every record before the stop being committed.
std::vector<std::string> leftovers(const std::string& out) {
  std::vector<std::string> found;
  for (const auto& name : names_in(out + "/_nagare"))
    if (name.find(".pending") != std::string::npos || name.find(".inprogress") != std::string::npos)
      found.push_back(name);
  return found;
}

bool exists(const std::string& path) {
  struct stat s;
  return ::stat(path.c_str(), &s) == 0;
}

// The result lines of every directory (one not created yet has none).
std::vector<std::string> lines_in(const std::vector<std::string>& dirs) {
  std::vector<std::string> all;
  for (const auto& d : dirs) {
    if (!exists(d)) continue;
    auto lines = read_result_lines(d);
    all.insert(all.end(), lines.begin(), lines.end());
  }
  return all;
}

// Waits until predicate() holds; false after `deadline` (a hang fails, it never passes).
template <class Predicate>
bool await(Predicate predicate, std::chrono::seconds deadline = 20s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

bool await_lines(const std::vector<std::string>& dirs, size_t n) {
  return await([&] { return lines_in(dirs).size() >= n; });
}
// The word after `prefix` in `text`; empty if absent.
std::string word_after(const std::string& text, const std::string& prefix) {
  auto at = text.find(prefix);
  if (at == std::string::npos) return "";
  auto begin = at + prefix.size();
  return text.substr(begin, text.find_first_of(" \n", begin) - begin);
}

std::vector<std::string> running_sum_args(const input_dir& in, const std::string& out) {
  return {"--input-dir", in.path(), "--discovery-ms", "50", "--output", out};
}

// --- Cluster: stop --savepoint, then submit --from-savepoint.

// The stop lands while the first files are read (small batches, one credit):
// what was read before the savepoint is committed when `stop` returns, the
// job is STOPPED and its savepoint listed; the job from the savepoint reads
// the rest and the files added since; both outputs together equal one
// uninterrupted run's, and the first job's committed files are not written again.
TEST(unbounded_job, cluster_stop_with_savepoint_commits_and_resumes_exactly_once) {
  test_cluster c(2, 2);
  input_dir in(c.dir() / "in");
  in.add(91, 0, 20000);
  in.add(91, 1, 20000);
  auto out1 = c.dir() / "out1";
  auto out2 = c.dir() / "out2";
  std::vector<std::string> slow = {
      "--parallelism", "2", "--checkpoint-interval", "100", "--batch-size", "16", "--credit", "1"};
  auto id = c.submit(job_library("running_sum"), slow, running_sum_args(in, out1));
  ASSERT_TRUE(await_lines({out1}, 1)) << c.coordinator_process().log();

  auto stopped = c.client("stop", {"--savepoint", id});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("job " + id + " STOPPED"), std::string::npos) << stopped.out;
  auto savepoint = word_after(stopped.out, "savepoint ");
  ASSERT_FALSE(savepoint.empty()) << stopped.out;
  // The reply comes after the sinks committed and the job ended.
  EXPECT_TRUE(leftovers(out1).empty()) << leftovers(out1).front();
  auto committed = lines_in({out1});
  auto listed = c.client("list", {});
  EXPECT_NE(listed.out.find("STOPPED"), std::string::npos) << listed.out;
  auto waited = c.client("wait", {id});  // exit 0 is for FINISHED jobs only
  EXPECT_EQ(waited.err, "nagare: error: job " + id + " STOPPED\n");
  auto kept = c.client("shell", {"-c", "savepoints"});
  EXPECT_NE(kept.out.find(savepoint + " "), std::string::npos) << kept.out << kept.err;

  in.add(91, 2, 3000);
  auto options = slow;
  options.insert(options.end(), {"--from-savepoint", savepoint});
  auto resumed = c.submit(job_library("running_sum"), options, running_sum_args(in, out2));
  in.add(91, 3, 2000);
  auto expected = in.expected();
  ASSERT_TRUE(await_lines({out1, out2}, expected.size()))
      << lines_in({out1, out2}).size() << " of " << expected.size() << "\n"
      << c.coordinator_process().log();
  auto second = c.client("stop", {resumed});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  // The first job's output is as it was: its committed files were not written again.
  EXPECT_TRUE(multiset_difference(committed, lines_in({out1})).empty());
  auto diff = multiset_difference(expected, lines_in({out1, out2}));
  EXPECT_TRUE(diff.empty()) << diff;
}

// --- Embedded: nagare run and signals.

std::vector<std::string> run_argv(const std::vector<std::string>& options,
                                  const std::vector<std::string>& job_args,
                                  const std::string& library = job_library("running_sum")) {
  std::vector<std::string> argv = {nagare_bin(), "run", library, "--threads", "3"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), job_args.begin(), job_args.end());
  return argv;
}

// SIGTERM stops a job that would run forever: exit 0, one line saying so,
// and its output committed, every record once.
TEST(unbounded_job, run_stops_cleanly_on_sigterm) {
  temp_dir dir;
  input_dir in(dir / "in");
  in.add(93, 0, 2000);
  in.add(93, 1, 1500);
  auto out = dir / "out";
  daemon_process run(
      run_argv({"--parallelism", "2", "--checkpoint-interval", "100"}, running_sum_args(in, out)),
      dir / "run.log");
  auto expected = in.expected();
  ASSERT_TRUE(await_lines({out}, expected.size())) << run.log();
  run.signal(SIGTERM);
  ASSERT_EQ(run.wait_exit(20s), 0) << run.log();
  EXPECT_NE(run.log().find("nagare: job running_sum stopped in "), std::string::npos) << run.log();
  EXPECT_TRUE(leftovers(out).empty()) << run.log();
  auto diff = multiset_difference(expected, lines_in({out}));
  EXPECT_TRUE(diff.empty()) << diff;
}

// --state-dir and --savepoint-on-stop: without periodic checkpoints, only
// the stop's savepoint commits output, and its id is printed; a second run
// --from-savepoint, with files added meanwhile, produces the rest: both
// outputs together equal one uninterrupted run's.
TEST(unbounded_job, run_resumes_from_its_stop_savepoint_exactly_once) {
  temp_dir dir;
  input_dir in(dir / "in");
  in.add(95, 0, 3000);
  in.add(95, 1, 2500);
  auto state = dir / "state";
  auto out1 = dir / "out1";
  auto out2 = dir / "out2";
  std::string savepoint;
  {
    daemon_process run(run_argv({"--parallelism", "2", "--state-dir", state, "--savepoint-on-stop"},
                                running_sum_args(in, out1)),
                       dir / "run1.log");
    // The sink has written something: the job runs and has read records.
    ASSERT_TRUE(await([&] { return !names_in(out1 + "/_nagare").empty(); })) << run.log();
    run.signal(SIGTERM);
    ASSERT_EQ(run.wait_exit(20s), 0) << run.log();
    auto log = run.log();
    savepoint = word_after(log, "stopped after savepoint ");
    ASSERT_FALSE(savepoint.empty()) << log;
    EXPECT_EQ(trimmed(log).substr(trimmed(log).rfind('\n') + 1), savepoint) << log;
  }
  EXPECT_TRUE(leftovers(out1).empty());
  EXPECT_FALSE(lines_in({out1}).empty()) << "the stop's savepoint committed nothing";

  in.add(95, 2, 2000);
  daemon_process run(run_argv({"--parallelism", "2", "--state-dir", state, "--from-savepoint",
                               savepoint, "--checkpoint-interval", "100"},
                              running_sum_args(in, out2)),
                     dir / "run2.log");
  in.add(95, 3, 1000);
  auto expected = in.expected();
  ASSERT_TRUE(await_lines({out1, out2}, expected.size()))
      << lines_in({out1, out2}).size() << " of " << expected.size() << "\n"
      << run.log();
  run.signal(SIGTERM);
  ASSERT_EQ(run.wait_exit(20s), 0) << run.log();
  auto diff = multiset_difference(expected, lines_in({out1, out2}));
  EXPECT_TRUE(diff.empty()) << diff;
}

// A second SIGINT cancels a job whose stop cannot complete (its record
// "block" holds the stop's checkpoint up): exit 1, CANCELED, nothing committed.
TEST(unbounded_job, second_sigint_cancels) {
  temp_dir dir;
  ::mkdir((dir / "in").c_str(), 0755);
  write_file(dir / "in/a.txt", "one\nblock\ntwo\n");
  auto marker = dir / "blocked";
  auto gate = dir / "gate";
  auto out = dir / "out";
  daemon_process run(
      run_argv({"--log-level", "info"},
               {"--input-dir", dir / "in", "--output", out, "--marker", marker, "--gate", gate},
               fixture_library("gated_lines")),
      dir / "run.log");
  ASSERT_TRUE(await([&] { return exists(marker); })) << run.log();
  run.signal(SIGINT);
  ASSERT_TRUE(await([&] { return run.log().find("stopping job") != std::string::npos; }))
      << run.log();
  run.signal(SIGINT);
  ASSERT_TRUE(await([&] { return run.log().find("CANCELED") != std::string::npos; })) << run.log();
  write_file(gate, "");  // the blocked task may go on, and end
  EXPECT_EQ(run.wait_exit(20s), 1) << run.log();
  EXPECT_NE(run.log().find("nagare: error: job gated_lines CANCELED: cancelled by request"),
            std::string::npos)
      << run.log();
  EXPECT_TRUE(lines_in({out}).empty());
}

// Usage errors, one line each, exit 2.
TEST(unbounded_job, run_state_options_need_a_state_dir) {
  auto r = run_process({nagare_bin(), "run", job_library("running_sum"), "--savepoint-on-stop"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "nagare: error: --savepoint-on-stop needs --state-dir DIR, where the savepoint "
            "is kept\n");
  r = run_process({nagare_bin(), "run", job_library("running_sum"), "--from-savepoint", "1-2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
}

}  // namespace
}  // namespace nagare::testing
