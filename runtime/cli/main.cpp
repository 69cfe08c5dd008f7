// nagare: the single binary. `nagare COMMAND --help` describes each command.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "command.hpp"

namespace {

const char* usage_text =
    "usage: nagare COMMAND [OPTIONS] [-- JOB ARGS...]\n"
    "\n"
    "commands:\n"
    "  run JOB.so         run a job in embedded mode (coordinator and nodes in this process)\n"
    "                     until its sources end; SIGINT/SIGTERM stop it, a second cancels it\n"
    "  coordinator        run the coordinator daemon\n"
    "  node               run a node daemon that offers task slots\n"
    "  submit JOB.so      submit a job to a cluster; prints its id\n"
    "  list               list a cluster's jobs\n"
    "  cancel JOB_ID      cancel a running job\n"
    "  wait JOB_ID        wait until a job ends; exit 0 if it finished\n"
    "  savepoint JOB_ID   take a savepoint of a running job; prints its id\n"
    "  stop JOB_ID        stop a running job; with --savepoint after a savepoint that commits\n"
    "                     its output (resume with submit --from-savepoint)\n"
    "  shell              the admin shell: nodes, jobs, actors, checkpoints, restarts\n"
    "\n"
    "`nagare COMMAND --help` shows the options of a command.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::fputs(usage_text, argc < 2 ? stderr : stdout);
    return argc < 2 ? nagare::cli::usage : nagare::cli::ok;
  }
  std::string command = argv[1];
  // Everything after "--" belongs to the job.
  std::vector<std::string> args, job_args;
  bool in_job = false;
  for (int i = 2; i < argc; ++i) {
    if (!in_job && std::strcmp(argv[i], "--") == 0) {
      in_job = true;
      continue;
    }
    (in_job ? job_args : args).push_back(argv[i]);
  }
  namespace cli = nagare::cli;
  auto no_job_args = [&](int (*command_fn)(const std::vector<std::string>&)) {
    if (in_job)
      return cli::fail(cli::usage, "nagare " + command + " takes no job arguments after --");
    return command_fn(args);
  };
  if (command == "run") return cli::run_command(args, job_args);
  if (command == "submit") return cli::submit_command(args, job_args);
  if (command == "coordinator") return no_job_args(cli::coordinator_command);
  if (command == "node") return no_job_args(cli::node_command);
  if (command == "list") return no_job_args(cli::list_command);
  if (command == "cancel") return no_job_args(cli::cancel_command);
  if (command == "wait") return no_job_args(cli::wait_command);
  if (command == "savepoint") return no_job_args(cli::savepoint_command);
  if (command == "stop") return no_job_args(cli::stop_command);
  if (command == "shell") return no_job_args(cli::shell_command);
  return nagare::cli::fail(nagare::cli::usage,
                           "unknown command '" + command + "' (see nagare --help)");
}
