#include "submission.hpp"

#include <fstream>

#include "log.hpp"
#include "metadata_store.hpp"
#include "net/wire_limits.hpp"
#include "plan.hpp"
#include "sink_delivery.hpp"

namespace nagare {

// Reads the whole file into one string of its size (a job library is
// megabytes: no stream growing its buffer by doubling).
result<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return status::io_error("cannot read '" + path + "'");
  auto size = f.tellg();
  if (size < 0) return status::io_error("cannot read '" + path + "'");
  std::string bytes(static_cast<size_t>(size), '\0');
  f.seekg(0);
  if (!f.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    return status::io_error("cannot read '" + path + "'");
  return bytes;
}

result<job_submission> prepare_submission(const job_definition& job,
                                          const std::vector<std::string>& args,
                                          const job_options& opts) {
  auto g = build_graph(job, args);
  if (!g.ok()) return g.error();
  auto plan = make_plan(g.value(), job.name, {opts.parallelism, opts.max_parallelism});
  if (!plan.ok())
    return status(plan.error().code(), "job " + job.name + ": " + plan.error().message());
  auto valid = validate_graph(g.value());
  if (!valid.ok()) return status(valid.code(), "job " + job.name + ": " + valid.message());
  auto sinks = sink_deliveries(g.value(), opts.at_least_once);
  auto delivery = check_delivery(sinks, opts.require_exactly_once, opts.at_least_once);
  if (!delivery.ok()) return status(delivery.code(), "job " + job.name + ": " + delivery.message());
  for (const auto& s : sinks)
    if (s.effective != s.declared)
      NAGARE_LOG(warning, "client")
          << "job " << job.name << ": sink '" << s.sink << "' is " << to_string(s.declared)
          << " but runs at-least-once: the job checkpoints with --at-least-once";
  NAGARE_LOG(info, "client") << "plan of " << job.name << ":\n" << describe(plan.value());
  job_submission sub;
  sub.name = opts.name.empty() ? job.name : opts.name;
  sub.library_path = job.path;
  if (job.path.rfind("linked:", 0) == 0) {
    sub.library_hash = job.path;  // compiled into this process: nothing to ship
  } else {
    auto bytes = read_file(job.path);
    if (!bytes.ok()) return bytes.error();
    // The submission is one message; the rest of it is small.
    constexpr uint64_t mib = 1 << 20;
    if (bytes.value().size() + mib > wire_limits{}.max_message_bytes)
      return status::invalid_argument(
          "job library '" + job.path + "' is " + std::to_string(bytes.value().size() / mib) +
          " MiB: a submission carries at most " +
          std::to_string(wire_limits{}.max_message_bytes / mib - 1) + " MiB");
    sub.library_hash = library_hash(bytes.value());
    sub.library = std::move(bytes.value());
  }
  sub.args = args;
  sub.plan = encode_plan(plan.value());
  sub.parallelism = opts.parallelism;
  sub.max_parallelism = opts.max_parallelism;
  sub.batch_records = opts.batch_records;
  sub.channel_credit = opts.channel_credit;
  sub.linger_ms = opts.linger_ms;
  sub.checkpoint_interval_ms = opts.checkpoint_interval_ms;
  sub.checkpoint_timeout_ms = opts.checkpoint_timeout_ms;
  sub.min_pause_ms = opts.min_pause_ms;
  sub.retained_checkpoints = opts.retained_checkpoints;
  sub.at_least_once = opts.at_least_once;
  sub.restart_strategy = opts.restart_strategy;
  sub.from_savepoint = opts.from_savepoint;
  sub.state_backend = opts.state_backend;
  sub.state_cache_keys = opts.state_cache_keys;
  return sub;
}

}  // namespace nagare
