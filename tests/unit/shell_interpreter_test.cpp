// The admin shell's command lines (shell/interpreter.hpp) as far as they are
// checked before the coordinator is asked: argument counts, ids, help and
// the error when no coordinator answers. Nothing listens on port 1 of
// 127.0.0.1, so a command that gets as far as connecting fails at once.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "common.hpp"
#include "shell/interpreter.hpp"

namespace nagare::cli::shell {

namespace {

class shell_interpreter : public testing::Test {
 protected:
  struct configured {
    configured() { configure_process(cfg, 1); }
    caf::actor_system_config cfg;
  };

  // Runs one line; `out` and `err` get what it printed.
  outcome run(const std::string& line) {
    out.str("");
    err.str("");
    return shell.run(line);
  }

  configured config;
  caf::actor_system sys{config.cfg};
  std::ostringstream notices, out, err;
  coordinator_client client{sys, "127.0.0.1:1", notices};
  interpreter shell{client, out, err};
};

// Each new command with too few or too many words is a usage error showing its usage.
TEST_F(shell_interpreter, argument_counts) {
  struct usage_case {
    const char* line;
    const char* usage;
  };
  for (const auto& c :
       {usage_case{"checkpoints", "checkpoints JOB [ID]"},
        usage_case{"checkpoints 1 2 3", "checkpoints JOB [ID]"},
        usage_case{"checkpoint", "checkpoint JOB"}, usage_case{"checkpoint 1 2", "checkpoint JOB"},
        usage_case{"savepoint", "savepoint JOB"}, usage_case{"kill", "kill ACTOR"},
        usage_case{"restarts 1 2", "restarts JOB"}}) {
    SCOPED_TRACE(c.line);
    EXPECT_EQ(run(c.line), outcome::usage);
    EXPECT_EQ(err.str(), "error: usage: " + std::string(c.usage) + "\n");
    EXPECT_EQ(out.str(), "");
  }
}

// Malformed ids are usage errors, refused before the coordinator is asked,
// naming the input.
TEST_F(shell_interpreter, bad_ids) {
  struct id_case {
    const char* line;
    const char* error;
  };
  for (const auto& c :
       {id_case{"checkpoints x", "'x' is not a job id (see `jobs`)"},
        id_case{"checkpoints 1 x", "'x' is not a checkpoint id (see `checkpoints 1`)"},
        id_case{"checkpoint -1", "'-1' is not a job id (see `jobs`)"},
        id_case{"savepoint 3-17", "'3-17' is not a job id (see `jobs`)"},
        id_case{"restarts 1.2", "'1.2' is not a job id (see `jobs`)"},
        id_case{"kill 3", "'3' is not an actor id (JOB.TASK, as `actors JOB` lists them)"},
        id_case{"kill 3.x", "'3.x' is not an actor id (JOB.TASK, as `actors JOB` lists them)"}}) {
    SCOPED_TRACE(c.line);
    EXPECT_EQ(run(c.line), outcome::usage);
    EXPECT_EQ(err.str(), "error: " + std::string(c.error) + "\n");
  }
  EXPECT_EQ(notices.str(), "");
}

// A well-formed command goes to the coordinator; an unreachable one is a
// one-line failure.
TEST_F(shell_interpreter, unreachable_coordinator) {
  for (const char* line : {"checkpoints 1", "checkpoints 1 2", "checkpoint 1", "savepoint 1",
                           "kill 1.0", "restarts 1"}) {
    SCOPED_TRACE(line);
    EXPECT_EQ(run(line), outcome::failed);
    EXPECT_EQ(err.str().rfind("error: cannot reach the coordinator at 127.0.0.1:1: ", 0), 0u)
        << err.str();
    EXPECT_EQ(err.str().find('\n'), err.str().size() - 1) << err.str();
  }
}

// `help` lists the new commands, and `help COMMAND` gives usage and summary.
TEST_F(shell_interpreter, help) {
  EXPECT_EQ(run("help"), outcome::ok);
  for (const char* usage :
       {"checkpoints JOB [ID]", "checkpoint JOB", "savepoint JOB", "kill ACTOR", "restarts JOB"})
    EXPECT_NE(out.str().find("  " + std::string(usage) + "  "), std::string::npos)
        << usage << " in\n"
        << out.str();
  EXPECT_EQ(run("help kill"), outcome::ok);
  EXPECT_EQ(
      out.str(),
      "kill ACTOR\n"
      "  fault injection: task actor ACTOR (JOB.TASK) dies as if it crashed (see `restarts`)\n");
}

}  // namespace
}  // namespace nagare::cli::shell
