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
    "  run JOB.so     run a job in embedded mode (coordinator and nodes in this process)\n"
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
  if (command == "run") return nagare::cli::run_command(args, job_args);
  return nagare::cli::fail(nagare::cli::usage,
                           "unknown command '" + command + "' (see nagare --help)");
}
