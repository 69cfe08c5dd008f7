// nagare run JOB.so [--parallelism N] [--max-parallelism N] [-- JOB ARGS...]
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "command.hpp"
#include "embedded.hpp"
#include "log.hpp"

namespace po = boost::program_options;

namespace nagare::cli {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "nagare: error: %s\n", message.c_str());
  return code;
}

int run_command(const std::vector<std::string>& args, const std::vector<std::string>& job_args) {
  run_options opts;
  std::string library, level = "warning";
  po::options_description visible("usage: nagare run JOB.so [OPTIONS] [-- JOB ARGS...]\n\noptions");
  visible.add_options()
      ("help,h", "show this help")
      ("parallelism,p", po::value(&opts.parallelism)->default_value(1), "default parallelism of operators")
      ("max-parallelism", po::value(&opts.max_parallelism)->default_value(128),
       "number of key groups: the upper bound of any parallelism")
      ("threads", po::value(&opts.threads)->default_value(0), "scheduler threads (0: one per core)")
      ("batch-size", po::value(&opts.batch_records)->default_value(1024), "records per batch between tasks")
      ("credit", po::value(&opts.channel_credit)->default_value(4), "batches in flight per channel")
      ("log-level", po::value(&level)->default_value("warning"), "debug, info, warning or error");
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
  log::level l;
  if (!log::parse_level(level, l)) return fail(usage, "unknown log level '" + level + "'");
  log::set_level(l);

  auto job = load_job_library(library);
  if (!job.ok()) return fail(failed, job.error().message());
  auto outcome = run_embedded(job.value(), job_args, opts);
  if (!outcome.ok()) return fail(outcome.error().code() == errc::invalid_argument ? usage : failed,
                                 outcome.error().message());
  const auto& out = outcome.value();
  if (out.state != "FINISHED") return fail(failed, "job " + job->name + " " + out.state + ": " + out.reason);
  std::fprintf(stderr, "nagare: job %s finished in %.2f s (%llu source records)\n", job->name.c_str(), out.seconds,
               static_cast<unsigned long long>(out.records_out_of_sources));
  return ok;
}

}  // namespace nagare::cli
