// The job client commands, each a request to the coordinator:
//   nagare submit JOB.so [--parallelism N] [--name NAME] [--from-savepoint ID] [-- JOB ARGS...]
//   nagare list | nagare cancel JOB_ID | nagare wait JOB_ID
// (savepoint and stop are in savepoint_command.cpp.)
#include <cstdio>
#include <iostream>

#include "client.hpp"
#include "messages.hpp"
#include "metrics/metric_registry.hpp"
#include "shell/render.hpp"
#include "submission.hpp"
#include "table.hpp"

namespace nagare::cli {

namespace {

// list, cancel and wait take the same options.
int job_id_command(const std::string& command, const std::vector<std::string>& args,
                   int (*body)(caf::scoped_actor&, const caf::actor&, uint64_t)) {
  std::string coordinator;
  tls_files tls;
  auto visible =
      client_options("nagare " + command + " JOB_ID [--coordinator HOST:PORT]", coordinator, tls);
  po::options_description hidden;
  hidden.add_options()("job-id", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("job-id", 1);
  po::variables_map vm;
  if (auto done = parse_command(command, args, visible, hidden, pos, vm)) return *done;
  uint64_t id = 0;
  if (auto bad = job_id_of(vm, command, id)) return *bad;
  return with_coordinator(coordinator, tls, [&](caf::scoped_actor& self, const caf::actor& c) {
    return body(self, c, id);
  });
}

}  // namespace

int submit_command(const std::vector<std::string>& args, const std::vector<std::string>& job_args) {
  std::string coordinator, library;
  tls_files tls;
  job_options opts;
  job_option_values values;
  auto visible =
      client_options("nagare submit JOB.so [OPTIONS] [-- JOB ARGS...]", coordinator, tls);
  add_job_options(visible, values);
  visible.add_options()                                                                           //
      ("name", po::value(&opts.name), "the job's name (default: the name the library declares)")  //
      ("from-savepoint", po::value(&opts.from_savepoint)->value_name("ID"),
       "start from this savepoint's state (JOB-CHECKPOINT, as `nagare savepoint` prints it)");
  po::options_description hidden;
  hidden.add_options()("job", po::value(&library));
  po::positional_options_description pos;
  pos.add("job", 1);
  po::variables_map vm;
  if (auto done = parse_command("submit", args, visible, hidden, pos, vm)) return *done;
  if (library.empty()) return fail(usage, "missing JOB.so (see nagare submit --help)");
  if (auto bad = apply_job_options(values, opts)) return *bad;
  if (vm.count("from-savepoint")) {
    if (auto id = check_savepoint_id(opts.from_savepoint); !id.ok())
      return fail(usage, "--from-savepoint " + id.message());
  }

  auto job = load_job_library(library);
  if (!job.ok()) return fail(failed, job.error().message());
  auto sub = prepare_submission(job.value(), job_args, opts);
  if (!sub.ok()) return fail(failed, sub.error().message());
  return with_coordinator(coordinator, tls, [&](caf::scoped_actor& self, const caf::actor& c) {
    int code = failed;
    self->request(c, request_timeout, submit_atom::value, std::move(sub.value()))
        .receive(
            [&](uint64_t id, status& error) {
              if (!error.ok()) {
                code = fail(failed, error.message());
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
  tls_files tls;
  auto visible = client_options("nagare list [--coordinator HOST:PORT]", coordinator, tls);
  po::variables_map vm;
  if (auto done = parse_command("list", args, visible, {}, {}, vm)) return *done;
  return with_coordinator(coordinator, tls, [&](caf::scoped_actor& self, const caf::actor& c) {
    int code = failed;
    self->request(c, request_timeout, jobs_atom::value)
        .receive(
            [&](std::vector<job_info>& jobs) {
              std::fputs(shell::render_jobs(jobs, unix_now_s()).c_str(), stdout);
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
                [&](status& error) {
                  code = error.ok() ? ok : fail(failed, error.message());
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
              if (out.state == job_state::finished) {
                std::printf("job %llu FINISHED\n", static_cast<unsigned long long>(id));
                code = ok;
              } else if (out.state == job_state::unknown) {
                code = fail(failed, out.reason);
              } else {
                code = fail(failed, "job " + std::to_string(id) + " " + to_string(out.state) +
                                        (out.reason.empty() ? "" : ": " + out.reason));
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
