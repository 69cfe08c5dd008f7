// The admin shell's commands: parses one command line, asks the coordinator
// (coordinator_client.hpp) and prints the answer (render.hpp). Knows the
// command names and ids for tab completion. The checkpoint and recovery
// commands are in recovery_commands.cpp.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "coordinator_client.hpp"

namespace nagare::cli::shell {

// What running one line came to; `-c` turns it into the exit code.
enum class outcome {
  ok,
  failed,  // the coordinator refused or did not answer, an unknown command or a bad id
  usage,   // a command with the wrong number of arguments
  quit,    // quit or exit
};

struct command_help {
  const char* name;
  const char* args;
  const char* summary;
};

// Every command, in the order `help` lists them.
const std::vector<command_help>& commands();

// Splits a line into words at whitespace.
std::vector<std::string> split_words(const std::string& line);

// REQUIRES: `client`, `out` and `err` outlive the interpreter; one thread.
class interpreter {
 public:
  interpreter(coordinator_client& client, std::ostream& out, std::ostream& err)
      : client_(client), out_(out), err_(err) {}

  // Runs one command line (blank lines and "# comments" do nothing). Output
  // goes to `out`, a one-line "error: ..." to `err`.
  outcome run(const std::string& line);

  // Candidates for the word that ends `before_cursor` (not yet filtered by
  // what was typed of it): command names, then job or actor ids, which it
  // asks the coordinator for briefly. Empty when nothing fits.
  std::vector<std::string> complete(const std::string& before_cursor);

 private:
  outcome error(outcome kind, const std::string& message);
  outcome nodes();
  outcome jobs();
  outcome actors(const std::string& job);
  outcome inspect(const std::string& actor);
  outcome cancel(const std::string& job);
  outcome checkpoints(const std::vector<std::string>& args);
  outcome checkpoint(const std::string& job);
  outcome savepoint(const std::string& job);
  outcome kill(const std::string& actor);
  outcome restarts(const std::string& job);
  outcome savepoints();
  outcome help(const std::vector<std::string>& topics);

  coordinator_client& client_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace nagare::cli::shell
