// nagare run JOB.so [--parallelism N] [--max-parallelism N] [-- JOB ARGS...]
#include <cstdio>

#include "common.hpp"
#include "embedded.hpp"

namespace nagare::cli {

int run_command(const std::vector<std::string>& args, const std::vector<std::string>& job_args) {
  run_options opts;
  job_option_values values;
  std::string library, level;
  int64_t threads = 0;
  po::options_description visible(
      "usage: nagare run JOB.so [OPTIONS] [-- JOB ARGS...]\n"
      "Job arguments follow \"--\" and are passed to the job's main.\n\noptions");
  visible.add_options()("help,h", "show this help");
  add_job_options(visible, values);
  visible.add_options()                                                                          //
      ("threads", po::value(&threads)->default_value(0), "scheduler threads (0: one per core)")  //
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
  if (auto bad = apply_log_level(level)) return *bad;

  auto job = load_job_library(library);
  if (!job.ok()) return fail(failed, job.error().message());
  auto outcome = run_embedded(job.value(), job_args, opts);
  if (!outcome.ok()) return fail(failed, outcome.error().message());
  const auto& out = outcome.value();
  if (out.state != job_state::finished)
    return fail(failed, "job " + job->name + " " + to_string(out.state) + ": " + out.reason);
  std::fprintf(stderr,
               "nagare: job %s finished in %.2f s (%llu records read by its sources, %llu dead "
               "letters, %llu late records)\n",
               job->name.c_str(), out.seconds, static_cast<unsigned long long>(out.source_records),
               static_cast<unsigned long long>(out.dead_letters),
               static_cast<unsigned long long>(out.late_records));
  return ok;
}

}  // namespace nagare::cli
