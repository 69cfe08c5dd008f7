// nagare run JOB.so [--parallelism N] [--state-dir DIR [--savepoint-on-stop]
//                   [--from-savepoint ID]] ... [-- JOB ARGS...]
//
// Runs the job in this process until it ends. SIGINT or SIGTERM stops it
// cleanly: a final checkpoint (with --savepoint-on-stop a savepoint, kept in
// --state-dir, its id printed on stdout) commits the sinks, and the tasks
// close; a second signal cancels it at once. A job with an unbounded source
// (a monitored directory) runs until such a signal comes.
#include <pthread.h>
#include <signal.h>

#include <unistd.h>

#include <cstdio>
#include <optional>
#include <thread>

#include "common.hpp"
#include "embedded.hpp"
#include "run_progress.hpp"

namespace nagare::cli {

namespace {

// Waits for SIGINT and SIGTERM (blocked in every thread by
// block_termination_signals) on a thread of its own, so nothing runs in a
// signal handler: the first signal stops the job, the next cancels it.
// The control is never destroyed: the thread may still wait at exit.
run_control* watch_signals(const std::string& job_name) {
  auto* control = new run_control;
  std::thread([control, job_name] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    for (int received = 0;; ++received) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) return;
      if (received == 0) {
        std::fprintf(stderr, "nagare: stopping job %s on signal %d (a second signal cancels it)\n",
                     job_name.c_str(), sig);
        control->stop();
      } else {
        std::fprintf(stderr, "nagare: cancelling job %s on signal %d\n", job_name.c_str(), sig);
        control->cancel();
      }
    }
  }).detach();
  return control;
}

void print_summary(const char* how, const std::string& name, const job_outcome& out,
                   const std::string& savepoint) {
  std::string after = savepoint.empty() ? "" : " after savepoint " + savepoint;
  std::fprintf(stderr,
               "nagare: job %s %s%s in %.2f s (%llu records read by its sources, %llu dead "
               "letters, %llu late records)\n",
               name.c_str(), how, after.c_str(), out.seconds,
               static_cast<unsigned long long>(out.source_records),
               static_cast<unsigned long long>(out.dead_letters),
               static_cast<unsigned long long>(out.late_records));
}

}  // namespace

int run_command(const std::vector<std::string>& args, const std::vector<std::string>& job_args) {
  // First, before any thread starts: signals go to the signal thread only.
  block_termination_signals();
  run_options opts;
  job_option_values values;
  std::string library, level;
  int64_t threads = 0, progress_s = 10;
  bool savepoint_on_stop = false, quiet = false;
  po::options_description visible(
      "usage: nagare run JOB.so [OPTIONS] [-- JOB ARGS...]\n"
      "Job arguments follow \"--\" and are passed to the job's main.\n"
      "Runs the job until its sources end. SIGINT or SIGTERM stops it cleanly (a final\n"
      "checkpoint commits its output; exit 0); a second signal cancels it (exit 1). A job\n"
      "with an unbounded source (a monitored directory) runs until such a signal.\n\noptions");
  visible.add_options()("help,h", "show this help");
  add_job_options(visible, values);
  visible.add_options()  //
      ("state-dir", po::value(&opts.state_dir)->value_name("DIR"),
       "keep checkpoints and savepoints in DIR (default: in memory, gone at exit)")  //
      ("savepoint-on-stop", po::bool_switch(&savepoint_on_stop),
       "on SIGINT/SIGTERM take a savepoint (kept in --state-dir) and print its id")  //
      ("from-savepoint", po::value(&opts.job.from_savepoint)->value_name("ID"),
       "start from this savepoint in --state-dir (JOB-CHECKPOINT, as printed on stop)")          //
      ("threads", po::value(&threads)->default_value(0), "scheduler threads (0: one per core)")  //
      ("quiet,q", po::bool_switch(&quiet), "no progress on stderr while the job runs")           //
      ("progress-interval", po::value(&progress_s)->default_value(10)->value_name("SECONDS"),
       "seconds between progress lines when stderr is not a terminal (on a terminal one line "
       "is updated every second)")  //
      ("log-level", po::value(&level)->default_value("warning"), "debug, info, warning or error");
  po::options_description hidden;
  hidden.add_options()("job", po::value(&library));
  po::positional_options_description pos;
  pos.add("job", 1);
  po::variables_map vm;
  if (auto done = parse_command("run", args, visible, hidden, pos, vm)) return *done;
  if (library.empty()) return fail(usage, "missing JOB.so (see nagare run --help)");
  if (auto bad = apply_job_options(values, opts.job)) return *bad;
  if (auto bad = check_range("--threads", threads, 0, 1024)) return *bad;
  opts.threads = static_cast<uint32_t>(threads);
  if (auto bad = check_range("--progress-interval", progress_s, 1, 86400)) return *bad;
  if (auto bad = apply_log_level(level)) return *bad;
  if (vm.count("state-dir") && opts.state_dir.empty())
    return fail(usage, "--state-dir needs a directory");
  if (savepoint_on_stop && opts.state_dir.empty())
    return fail(usage, "--savepoint-on-stop needs --state-dir DIR, where the savepoint is kept");
  if (vm.count("from-savepoint")) {
    if (opts.state_dir.empty())
      return fail(usage, "--from-savepoint needs --state-dir DIR, where the savepoint is kept");
    if (auto id = check_savepoint_id(opts.job.from_savepoint); !id.ok())
      return fail(usage, "--from-savepoint " + id.message());
  }
  opts.on_stop = savepoint_on_stop ? stop_mode::savepoint : stop_mode::checkpoint;

  auto job = load_job_library(library);
  if (!job.ok()) return fail(failed, job.error().message());
  auto* control = watch_signals(job->name);
  std::optional<run_progress> progress;
  if (!quiet) {
    progress.emplace(stderr, ::isatty(STDERR_FILENO) != 0, std::chrono::seconds(progress_s));
    opts.observer = &*progress;
  }
  auto outcome = run_embedded(job.value(), job_args, opts, *control);
  progress.reset();
  if (!outcome.ok()) return fail(failed, outcome.error().message());
  const auto& run = outcome.value();
  const auto& out = run.job;
  if (!run.stop_error.ok())
    return fail(failed, "stopping job " + job->name + ": " + run.stop_error.message() +
                            "; it ended " + to_string(out.state));
  if (out.state != job_state::finished && out.state != job_state::stopped)
    return fail(failed, "job " + job->name + " " + to_string(out.state) + ": " + out.reason);
  if (!out.reason.empty())  // stopped, but some tasks did not close in time
    std::fprintf(stderr, "nagare: warning: job %s: %s\n", job->name.c_str(), out.reason.c_str());
  print_summary(out.state == job_state::finished ? "finished" : "stopped", job->name, out,
                run.savepoint);
  if (!run.savepoint.empty()) std::printf("%s\n", run.savepoint.c_str());
  return ok;
}

}  // namespace nagare::cli
