// Subcommands of the `nagare` binary. Each parses its own options with
// Boost.Program_options and returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace nagare::cli {

// Exit codes shared by all commands.
enum exit_code : int { ok = 0, failed = 1, usage = 2 };

int run_command(const std::vector<std::string>& args, const std::vector<std::string>& job_args);
int coordinator_command(const std::vector<std::string>& args);
int node_command(const std::vector<std::string>& args);
int submit_command(const std::vector<std::string>& args, const std::vector<std::string>& job_args);
int list_command(const std::vector<std::string>& args);
int cancel_command(const std::vector<std::string>& args);
int wait_command(const std::vector<std::string>& args);
int savepoint_command(const std::vector<std::string>& args);
int stop_command(const std::vector<std::string>& args);
int shell_command(const std::vector<std::string>& args);

// Prints "nagare: error: MESSAGE" on one line to stderr.
int fail(int code, const std::string& message);

}  // namespace nagare::cli
