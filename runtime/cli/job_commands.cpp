// The job client commands, each a request to the coordinator:
//   nagare submit JOB.so [--parallelism N] [--name NAME] [-- JOB ARGS...]
//   nagare list | nagare cancel JOB_ID | nagare wait JOB_ID
#include <cstdio>
#include <iostream>

#include "common.hpp"
#include "messages.hpp"
#include "shutdown_watchdog.hpp"
#include "submission.hpp"
#include "table.hpp"

namespace nagare::cli {

namespace {

constexpr auto request_timeout = std::chrono::seconds(60);

// A client's actor system, connected to the coordinator; runs `body` and
// shuts down.
template <class Body>
int with_coordinator(const std::string& where, Body&& body) {
  shutdown_watchdog watchdog;
  caf::actor_system_config cfg;
  configure_process(cfg, 1);
  caf::actor_system sys{cfg};
  int code;
  {
    auto coordinator = connect_coordinator(sys, where);
    if (!coordinator.ok()) {
      code = fail(failed, coordinator.error().message());
    } else {
      caf::scoped_actor self{sys};
      code = body(self, coordinator.value());
    }
  }
  watchdog.arm(std::chrono::seconds(10));
  return code;
}

po::options_description client_options(const std::string& usage_line, std::string& coordinator) {
  po::options_description visible("usage: " + usage_line + "\n\noptions");
  visible.add_options()("help,h", "show this help")(
      "coordinator", po::value(&coordinator)->default_value(default_coordinator),
      "the coordinator's HOST:PORT");
  return visible;
}

// The JOB_ID positional as a number.
std::optional<int> job_id_of(const po::variables_map& vm, const std::string& command,
                             uint64_t& id) {
  if (!vm.count("job-id")) return fail(usage, "missing JOB_ID (see nagare " + command + " --help)");
  auto text = vm["job-id"].as<std::string>();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return fail(usage, "'" + text + "' is not a job id");
  id = std::stoull(text);
  return std::nullopt;
}

std::string rpc_error(const caf::error& e, caf::scoped_actor& self) {
  return "the coordinator did not answer: " + self->system().render(e);
}

// list, cancel and wait take the same options.
int job_id_command(const std::string& command, const std::vector<std::string>& args,
                   int (*body)(caf::scoped_actor&, const caf::actor&, uint64_t)) {
  std::string coordinator;
  auto visible =
      client_options("nagare " + command + " JOB_ID [--coordinator HOST:PORT]", coordinator);
  po::options_description hidden;
  hidden.add_options()("job-id", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("job-id", 1);
  po::variables_map vm;
  if (auto done = parse_command(command, args, visible, hidden, pos, vm)) return *done;
  uint64_t id = 0;
  if (auto bad = job_id_of(vm, command, id)) return *bad;
  return with_coordinator(
      coordinator, [&](caf::scoped_actor& self, const caf::actor& c) { return body(self, c, id); });
}

}  // namespace

int submit_command(const std::vector<std::string>& args, const std::vector<std::string>& job_args) {
  std::string coordinator, library;
  job_options opts;
  job_option_values values;
  auto visible = client_options("nagare submit JOB.so [OPTIONS] [-- JOB ARGS...]", coordinator);
  add_job_options(visible, values);
  visible.add_options()("name", po::value(&opts.name),
                        "the job's name (default: the name the library declares)");
  po::options_description hidden;
  hidden.add_options()("job", po::value(&library));
  po::positional_options_description pos;
  pos.add("job", 1);
  po::variables_map vm;
  if (auto done = parse_command("submit", args, visible, hidden, pos, vm)) return *done;
  if (library.empty()) return fail(usage, "missing JOB.so (see nagare submit --help)");
  if (auto bad = apply_job_options(values, opts)) return *bad;

  auto job = load_job_library(library);
  if (!job.ok()) return fail(failed, job.error().message());
  auto sub = prepare_submission(job.value(), job_args, opts);
  if (!sub.ok()) return fail(failed, sub.error().message());
  return with_coordinator(coordinator, [&](caf::scoped_actor& self, const caf::actor& c) {
    int code = failed;
    self->request(c, request_timeout, submit_atom::value, std::move(sub.value()))
        .receive(
            [&](uint64_t id, std::string& error) {
              if (!error.empty()) {
                code = fail(failed, error);
                return;
              }
              std::printf("%llu\n", static_cast<unsigned long long>(id));
              code = ok;
            },
            [&](caf::error& e) { code = fail(failed, rpc_error(e, self)); });
    return code;
  });
}

int list_command(const std::vector<std::string>& args) {
  std::string coordinator;
  auto visible = client_options("nagare list [--coordinator HOST:PORT]", coordinator);
  po::variables_map vm;
  if (auto done = parse_command("list", args, visible, {}, {}, vm)) return *done;
  return with_coordinator(coordinator, [&](caf::scoped_actor& self, const caf::actor& c) {
    int code = failed;
    self->request(c, request_timeout, jobs_atom::value)
        .receive(
            [&](std::vector<job_info>& jobs) {
              table t({"ID", "NAME", "STATE", "PARALLELISM", "UPTIME", "REASON"});
              for (const auto& j : jobs)
                t.add({std::to_string(j.id), j.name, j.state, std::to_string(j.parallelism),
                       format_duration(j.uptime_s), j.reason});
              std::fputs(t.render().c_str(), stdout);
              code = ok;
            },
            [&](caf::error& e) { code = fail(failed, rpc_error(e, self)); });
    return code;
  });
}

int cancel_command(const std::vector<std::string>& args) {
  return job_id_command(
      "cancel", args, [](caf::scoped_actor& self, const caf::actor& c, uint64_t id) {
        int code = failed;
        self->request(c, request_timeout, cancel_atom::value, id)
            .receive(
                [&](std::string& error) {
                  code = error.empty() ? ok : fail(failed, error);
                  if (code == ok)
                    std::printf("job %llu cancelled\n", static_cast<unsigned long long>(id));
                },
                [&](caf::error& e) { code = fail(failed, rpc_error(e, self)); });
        return code;
      });
}

int wait_command(const std::vector<std::string>& args) {
  return job_id_command(
      "wait", args, [](caf::scoped_actor& self, const caf::actor& c, uint64_t id) {
        int code = failed;
        // Sent, not requested: the answer arrives as an ordinary message, so the
        // same receive also sees the coordinator's death (a pending request
        // would wait forever on a peer killed with -9).
        self->monitor(c);
        self->send(c, wait_atom::value, id);
        self->receive(
            [&](job_outcome& out) {
              if (out.state == "FINISHED") {
                std::printf("job %llu FINISHED\n", static_cast<unsigned long long>(id));
                code = ok;
              } else if (out.state == "UNKNOWN") {
                code = fail(failed, out.reason);
              } else {
                code =
                    fail(failed, "job " + std::to_string(id) + " " + out.state + ": " + out.reason);
              }
            },
            [&](caf::down_msg& m) {
              code = fail(failed, "lost the coordinator while waiting for job " +
                                      std::to_string(id) + ": " + self->system().render(m.reason));
            });
        return code;
      });
}

}  // namespace nagare::cli
