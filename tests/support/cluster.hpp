// A real cluster for tests: a coordinator and nodes as child processes of
// the test, on free loopback ports, with their logs in a temporary
// directory. Destroying it kills whatever is still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "process.hpp"
#include "test_certs.hpp"

namespace nagare::testing {

// A free TCP port on 127.0.0.1 (bound once and released).
uint16_t free_port();

// A child process running in the background, its stdout and stderr in `log`.
class daemon_process {
 public:
  daemon_process(const std::vector<std::string>& argv, std::string log);
  ~daemon_process();
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_; }
  std::string log() const;
  bool running();
  void kill9();
  // Sends signal `sig` (SIGTERM, SIGINT, ...) without waiting.
  void signal(int sig);
  // Waits for the process to exit; its exit code, or -1 on timeout or signal.
  int wait_exit(std::chrono::seconds deadline);

 private:
  pid_t pid_ = -1;
  std::string log_;
  int status_ = 0;
  bool reaped_ = false;
};

class test_cluster {
 public:
  // Starts a coordinator and `nodes` nodes with `slots` slots each, every
  // daemon with `daemon_args` too; waits until every node has registered
  // (throws if one does not within 10 s).
  // With `tls`, every process holds a certificate `tls` issues: the
  // coordinator's (OU coordinator), node i's "node-i" (OU node), and the
  // clients' "tester" (OU submitter) unless client_as names another.
  test_cluster(int nodes, int slots, std::vector<std::string> daemon_args = {},
               const test_ca* tls = nullptr);

  const std::string& coordinator() const { return coordinator_; }  // HOST:PORT
  // HOST:PORT of the coordinator's dashboard and REST API, and of node i's
  // /metrics.
  const std::string& web() const { return web_; }
  const std::string& node_metrics(int i) const { return node_metrics_[i]; }
  std::string node_name(int i) const { return node_addresses_[i]; }  // its HOST:PORT
  daemon_process& node(int i) { return *nodes_[i]; }
  daemon_process& coordinator_process() { return *coordinator_process_; }
  const temp_dir& dir() const { return dir_; }

  // Starts a coordinator again on the same address and data directory (after
  // the old one was killed), with `extra` arguments; waits until it answers.
  void restart_coordinator(const std::vector<std::string>& extra = {});
  // The coordinator's data directory.
  std::string coordinator_data_dir() const { return dir_ / "coordinator"; }
  // Starts node i again on its address (after it was killed), with a fresh
  // data directory when `fresh_data`; waits until it has registered.
  void restart_node(int i, bool fresh_data = false);
  // Waits until node i logs `text` (throws after `deadline`).
  void await_node_log(int i, const std::string& text,
                      std::chrono::seconds deadline = std::chrono::seconds(20));

  // `nagare COMMAND ARGS... --coordinator HOST:PORT [-- JOB ARGS]`
  process_result client(const std::string& command, std::vector<std::string> args,
                        const std::vector<std::string>& job_args = {},
                        std::chrono::seconds deadline = std::chrono::seconds(60));
  // client() with the TLS options `tls` (a client's, or none at all).
  process_result client_as(const std::vector<std::string>& tls, const std::string& command,
                           std::vector<std::string> args,
                           const std::vector<std::string>& job_args = {},
                           std::chrono::seconds deadline = std::chrono::seconds(60));
  // Submits and returns the job id (throws with the error on failure).
  std::string submit(const std::string& library, std::vector<std::string> args,
                     const std::vector<std::string>& job_args);

 private:
  temp_dir dir_;
  std::string coordinator_;
  std::vector<std::string> node_addresses_;
  std::string web_;
  std::vector<std::string> node_metrics_;
  std::unique_ptr<daemon_process> coordinator_process_;
  std::vector<std::unique_ptr<daemon_process>> nodes_;
  std::vector<int> node_slots_;
  std::vector<std::string> daemon_args_;
  const test_ca* tls_ = nullptr;
  std::vector<std::string> client_tls_;  // the clients' TLS options
  int starts_ = 0;                       // processes started, to name their logs apart
  void start_coordinator(const std::vector<std::string>& extra = {});
  void start_node(int i, const std::string& data_dir);
};

}  // namespace nagare::testing
