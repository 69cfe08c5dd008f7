// nagare run JOB.so [--parallelism N] [--max-parallelism N] [-- JOB ARGS...]
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "command.hpp"
#include "embedded.hpp"
#include "log.hpp"

namespace po = boost::program_options;

namespace nagare::cli {

namespace {

// Numeric options are read as signed so that "-1" is refused, not wrapped.
struct numeric_option {
  const char* name;
  int64_t value;
  int64_t min;
  int64_t max;
};

}  // namespace

int run_command(const std::vector<std::string>& args, const std::vector<std::string>& job_args) {
  run_options opts;
  std::string library, level = "warning";
  int64_t parallelism = 1, max_parallelism = 128, threads = 0, batch = 1024, credit = 4;
  po::options_description visible("usage: nagare run JOB.so [OPTIONS] [-- JOB ARGS...]\n\noptions");
  visible.add_options()("help,h", "show this help")("parallelism,p",
                                                    po::value(&parallelism)->default_value(1),
                                                    "default parallelism of operators")(
      "max-parallelism", po::value(&max_parallelism)->default_value(128),
      "number of key groups: the upper bound of any parallelism")(
      "threads", po::value(&threads)->default_value(0), "scheduler threads (0: one per core)")(
      "batch-size", po::value(&batch)->default_value(1024), "records per batch between tasks")(
      "credit", po::value(&credit)->default_value(4), "batches in flight per channel")(
      "log-level", po::value(&level)->default_value("warning"), "debug, info, warning or error");
  po::options_description all;
  all.add(visible).add_options()("job", po::value(&library));
  po::positional_options_description pos;
  pos.add("job", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return fail(usage, std::string(e.what()) + " (see nagare run --help)");
  }
  if (vm.count("help")) {
    std::cout << visible << "\nJob arguments follow \"--\" and are passed to the job's main.\n";
    return ok;
  }
  if (library.empty()) return fail(usage, "missing JOB.so (see nagare run --help)");
  for (const auto& o : {numeric_option{"--max-parallelism", max_parallelism, 1, 32768},
                        numeric_option{"--parallelism", parallelism, 1, max_parallelism},
                        numeric_option{"--threads", threads, 0, 1024},
                        numeric_option{"--batch-size", batch, 1, 1 << 20},
                        numeric_option{"--credit", credit, 1, 1024}}) {
    if (o.value < o.min || o.value > o.max)
      return fail(usage, std::string(o.name) + " must be between " + std::to_string(o.min) +
                             " and " + std::to_string(o.max) + ", got " + std::to_string(o.value));
  }
  opts.job.parallelism = static_cast<uint32_t>(parallelism);
  opts.job.max_parallelism = static_cast<uint32_t>(max_parallelism);
  opts.threads = static_cast<uint32_t>(threads);
  opts.job.batch_records = static_cast<uint32_t>(batch);
  opts.job.channel_credit = static_cast<uint32_t>(credit);
  log::level l;
  if (!log::parse_level(level, l)) return fail(usage, "unknown log level '" + level + "'");
  log::set_level(l);

  auto job = load_job_library(library);
  if (!job.ok()) return fail(failed, job.error().message());
  auto outcome = run_embedded(job.value(), job_args, opts);
  if (!outcome.ok()) return fail(failed, outcome.error().message());
  const auto& out = outcome.value();
  if (out.state != "FINISHED")
    return fail(failed, "job " + job->name + " " + out.state + ": " + out.reason);
  std::fprintf(stderr, "nagare: job %s finished in %.2f s (%llu records read by its sources)\n",
               job->name.c_str(), out.seconds, static_cast<unsigned long long>(out.source_records));
  return ok;
}

}  // namespace nagare::cli
