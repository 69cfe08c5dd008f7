// Savepoints from the command line, each a long request to the coordinator
// (long_request.hpp: it ends at once if the coordinator dies):
//   nagare savepoint JOB_ID          prints the savepoint id, e.g. "3-17"
//   nagare stop [--savepoint] JOB_ID prints "job 3 STOPPED" (and "savepoint 3-17") once
//                                    the job has ended (with --savepoint: its sinks committed)
// A savepoint is a checkpoint kept until it is deleted by hand; `nagare submit
// --from-savepoint ID` starts a job from it.
#include <cstdio>

#include "client.hpp"
#include "long_request.hpp"
#include "messages.hpp"

namespace nagare::cli {

namespace {

// A savepoint waits for a checkpoint, which the job master fails after the
// job's --checkpoint-timeout (60 s by default): this is a last resort only.
constexpr int64_t default_wait_s = 600;

struct job_command_args {
  std::string coordinator;
  tls_files tls;
  uint64_t job = 0;
  caf::timespan timeout{};
  bool with_savepoint = false;
};

// Parses JOB_ID, --coordinator, --timeout and (for stop) --savepoint.
std::optional<int> parse_job_command(const std::string& command, const std::string& usage_line,
                                     const std::vector<std::string>& args, job_command_args& out) {
  int64_t wait_s = default_wait_s;
  auto visible = client_options(usage_line, out.coordinator, out.tls);
  visible.add_options()("timeout", po::value(&wait_s)->default_value(default_wait_s),
                        "seconds to wait for the coordinator's answer");
  if (command == "stop")
    visible.add_options()("savepoint", po::bool_switch(&out.with_savepoint),
                          "take a savepoint first and print its id");
  po::options_description hidden;
  hidden.add_options()("job-id", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("job-id", 1);
  po::variables_map vm;
  if (auto done = parse_command(command, args, visible, hidden, pos, vm)) return done;
  if (auto bad = job_id_of(vm, command, out.job)) return bad;
  if (auto bad = check_range("--timeout", wait_s, 1, 86400)) return bad;
  out.timeout = std::chrono::seconds(wait_s);
  return std::nullopt;
}

// Sends (xs...) to the coordinator and waits for its (status, savepoint id)
// reply. A failed wait is `waited`; a refusal is `error`.
struct savepoint_reply {
  status waited;
  status error;
  std::string savepoint;
};

template <class... Ts>
savepoint_reply ask_for_savepoint(caf::scoped_actor& self, const caf::actor& coordinator,
                                  caf::timespan timeout, Ts... xs) {
  savepoint_reply r;
  r.waited = long_request(
      self->system(), coordinator, timeout, nullptr,
      [&](status& e, std::string& id) {
        r.error = std::move(e);
        r.savepoint = std::move(id);
      },
      xs...);
  return r;
}

}  // namespace

int savepoint_command(const std::vector<std::string>& args) {
  job_command_args a;
  if (auto done = parse_job_command(
          "savepoint", "nagare savepoint JOB_ID [--coordinator HOST:PORT] [--timeout S]", args, a))
    return *done;
  return with_coordinator(a.coordinator, a.tls, [&](caf::scoped_actor& self, const caf::actor& c) {
    auto r = ask_for_savepoint(self, c, a.timeout, savepoint_atom::value, a.job);
    auto job = std::to_string(a.job);
    if (!r.waited.ok()) return fail(failed, "savepoint of job " + job + ": " + r.waited.message());
    if (!r.error.ok()) return fail(failed, r.error.message());
    if (r.savepoint.empty())
      return fail(failed, "savepoint of job " + job + ": the coordinator named no savepoint");
    std::printf("%s\n", r.savepoint.c_str());
    return static_cast<int>(ok);
  });
}

int stop_command(const std::vector<std::string>& args) {
  job_command_args a;
  if (auto done = parse_job_command(
          "stop", "nagare stop [--savepoint] JOB_ID [--coordinator HOST:PORT] [--timeout S]", args,
          a))
    return *done;
  return with_coordinator(a.coordinator, a.tls, [&](caf::scoped_actor& self, const caf::actor& c) {
    auto mode = a.with_savepoint ? stop_mode::savepoint : stop_mode::at_once;
    auto r =
        ask_for_savepoint(self, c, a.timeout, stop_atom::value, a.job, static_cast<uint8_t>(mode));
    auto job = std::to_string(a.job);
    if (!r.waited.ok()) return fail(failed, "stopping job " + job + ": " + r.waited.message());
    if (!r.error.ok()) return fail(failed, r.error.message());
    std::printf("job %s STOPPED\n", job.c_str());
    if (!a.with_savepoint) return static_cast<int>(ok);
    if (r.savepoint.empty())
      return fail(failed, "job " + job + " stopped, but the coordinator named no savepoint");
    std::printf("savepoint %s\n", r.savepoint.c_str());
    return static_cast<int>(ok);
  });
}

}  // namespace nagare::cli
