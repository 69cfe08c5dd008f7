// nagare shell: the admin shell. Interactive on a terminal (libedit: line
// editing, history in ~/.nagare_history, tab completion), line by line from
// any other stdin, or one command with -c. The commands are in
// shell/interpreter.hpp; each is one request to the coordinator.
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "client.hpp"
#include "shell/coordinator_client.hpp"
#include "shell/interpreter.hpp"
#include "shell/line_reader.hpp"
#include "shutdown_watchdog.hpp"

namespace nagare::cli {

namespace {

int exit_code_of(shell::outcome o) {
  switch (o) {
    case shell::outcome::ok:
    case shell::outcome::quit:
      return ok;
    case shell::outcome::usage:
      return usage;
    case shell::outcome::failed:
      break;
  }
  return failed;
}

// Runs lines until the input ends or `quit`; 1 if any command failed (so a
// script can tell), else 0.
int run_lines(shell::interpreter& shell, shell::line_reader& lines) {
  int code = ok;
  while (auto line = lines.next()) {
    auto o = shell.run(*line);
    if (o == shell::outcome::quit) break;
    if (o != shell::outcome::ok) code = failed;
  }
  return code;
}

// The signals libedit handles while it reads a line: they must reach the
// thread that reads (read() returns EINTR there), not an actor system thread.
sigset_t line_editing_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGTSTP, SIGCONT, SIGWINCH}) sigaddset(&set, s);
  return set;
}

}  // namespace

int shell_command(const std::vector<std::string>& args) {
  std::string coordinator, command;
  po::options_description visible(
      "usage: nagare shell [--coordinator HOST:PORT] [-c COMMAND]\n\n"
      "Interactive on a terminal (`help` lists the commands); reads commands line by line\n"
      "from any other stdin. -c runs one command, e.g. -c \"actors 1\"; its exit code is\n"
      "0 when it succeeded, 1 when it failed, 2 for a usage error.\n\n"
      "options");
  visible.add_options()             //
      ("help,h", "show this help")  //
      ("coordinator", po::value(&coordinator)->default_value(default_coordinator),
       "the coordinator's HOST:PORT")  //
      ("command,c", po::value(&command), "run this one command and exit");
  tls_files tls;
  add_tls_options(visible, tls);
  po::variables_map vm;
  if (auto done = parse_command("shell", args, visible, {}, {}, vm)) return *done;
  if (vm.count("command") && shell::split_words(command).empty())
    return fail(usage, "-c needs a command (see nagare shell --help)");
  if (auto a = parse_address(coordinator); !a.ok())
    return fail(usage, "--coordinator " + a.error().message());
  if (auto bad = client_tls(coordinator, tls)) return *bad;

  shutdown_watchdog watchdog;
  caf::actor_system_config cfg;
  configure_process(cfg, 1, {}, tls);
  // Actor system threads inherit this mask: they never take these signals.
  auto editing = line_editing_signals();
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &editing, &previous);
  int code = ok;
  {
    caf::actor_system sys{cfg};
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    shell::coordinator_client client(sys, coordinator, std::cerr);
    if (auto connected = client.connect(); !connected.ok()) {
      code = fail(failed, connected.message());
    } else {
      shell::interpreter shell(client, std::cout, std::cerr);
      if (vm.count("command")) {
        code = exit_code_of(shell.run(command));
      } else if (isatty(STDIN_FILENO)) {
        std::cout << "connected to the coordinator at " << coordinator
                  << "; `help` lists the commands" << std::endl;
        auto lines = shell::make_editline_reader(
            "nagare> ", shell::default_history_file(),
            [&shell](const std::string& before) { return shell.complete(before); });
        run_lines(shell, *lines);
        code = ok;
      } else {
        auto lines = shell::make_stream_reader(std::cin);
        code = run_lines(shell, *lines);
      }
    }
  }
  watchdog.arm(std::chrono::seconds(10));
  return code;
}

}  // namespace nagare::cli
