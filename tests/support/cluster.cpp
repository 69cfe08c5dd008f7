#include "cluster.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace nagare::testing {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

daemon_process::daemon_process(const std::vector<std::string>& argv, std::string log)
    : log_(std::move(log)) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

daemon_process::~daemon_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(5));
  }
}

std::string daemon_process::log() const {
  std::ifstream f(log_);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool daemon_process::running() {
  if (reaped_) return false;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) {
    reaped_ = true;
    status_ = st;
    return false;
  }
  return true;
}

void daemon_process::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

void daemon_process::kill9() {
  ::kill(pid_, SIGKILL);
  wait_exit(std::chrono::seconds(5));
}

int daemon_process::wait_exit(std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (running()) {
    if (std::chrono::steady_clock::now() > until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

test_cluster::test_cluster(int nodes, int slots, std::vector<std::string> daemon_args,
                           const test_ca* tls)
    : daemon_args_(std::move(daemon_args)), tls_(tls) {
  if (tls_) client_tls_ = tls_->args(tls_->issue("tester", "submitter"));
  coordinator_ = "127.0.0.1:" + std::to_string(free_port());
  web_ = "127.0.0.1:" + std::to_string(free_port());
  start_coordinator();
  for (int i = 0; i < nodes; ++i) {
    node_addresses_.push_back("127.0.0.1:" + std::to_string(free_port()));
    node_metrics_.push_back("127.0.0.1:" + std::to_string(free_port()));
    node_slots_.push_back(slots);
    nodes_.emplace_back();
    start_node(i, dir_ / ("node" + std::to_string(i)));
  }
  for (int i = 0; i < nodes; ++i) await_node_log(i, "registered as node", std::chrono::seconds(10));
}

void test_cluster::start_coordinator(const std::vector<std::string>& extra) {
  std::vector<std::string> argv{nagare_bin(), "coordinator",          "--listen",     coordinator_,
                                "--data-dir", coordinator_data_dir(), "--web-listen", web_};
  argv.insert(argv.end(), daemon_args_.begin(), daemon_args_.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (tls_) {
    auto own = tls_->args(tls_->issue("coordinator", "coordinator"));
    argv.insert(argv.end(), own.begin(), own.end());
  }
  coordinator_process_ = std::make_unique<daemon_process>(
      argv, dir_ / ("coordinator" + (starts_++ ? "-" + std::to_string(starts_) : "") + ".log"));
  // The coordinator accepts clients once `list` answers.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (client("list", {}, {}, std::chrono::seconds(5)).exit_code != 0) {
    if (std::chrono::steady_clock::now() > until || !coordinator_process_->running())
      throw std::runtime_error("coordinator did not start:\n" + coordinator_process_->log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void test_cluster::start_node(int i, const std::string& data_dir) {
  auto name = "node" + std::to_string(i);
  std::vector<std::string> argv{nagare_bin(),       "node",
                                "--coordinator",    coordinator_,
                                "--listen",         node_addresses_[i],
                                "--slots",          std::to_string(node_slots_[i]),
                                "--data-dir",       data_dir,
                                "--metrics-listen", node_metrics_[i]};
  argv.insert(argv.end(), daemon_args_.begin(), daemon_args_.end());
  if (tls_) {
    auto own = tls_->args(tls_->issue("node-" + std::to_string(i), "node"));
    argv.insert(argv.end(), own.begin(), own.end());
  }
  nodes_[i] = std::make_unique<daemon_process>(
      argv, dir_ / (name + "-" + std::to_string(starts_++) + ".log"));
}

void test_cluster::restart_coordinator(const std::vector<std::string>& extra) {
  start_coordinator(extra);
}

void test_cluster::restart_node(int i, bool fresh_data) {
  auto data = dir_ / ("node" + std::to_string(i));
  if (fresh_data) data += "-" + std::to_string(starts_);
  start_node(i, data);
  await_node_log(i, "registered as node");
}

void test_cluster::await_node_log(int i, const std::string& text, std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (nodes_[i]->log().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > until || !nodes_[i]->running())
      throw std::runtime_error("node " + std::to_string(i) + " did not log '" + text + "':\n" +
                               nodes_[i]->log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

process_result test_cluster::client(const std::string& command, std::vector<std::string> args,
                                    const std::vector<std::string>& job_args,
                                    std::chrono::seconds deadline) {
  return client_as(client_tls_, command, std::move(args), job_args, deadline);
}

process_result test_cluster::client_as(const std::vector<std::string>& tls,
                                       const std::string& command, std::vector<std::string> args,
                                       const std::vector<std::string>& job_args,
                                       std::chrono::seconds deadline) {
  std::vector<std::string> argv = {nagare_bin(), command};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--coordinator", coordinator_});
  argv.insert(argv.end(), tls.begin(), tls.end());
  if (!job_args.empty()) {
    argv.push_back("--");
    argv.insert(argv.end(), job_args.begin(), job_args.end());
  }
  return run_process(argv, deadline);
}

std::string test_cluster::submit(const std::string& library, std::vector<std::string> args,
                                 const std::vector<std::string>& job_args) {
  args.insert(args.begin(), library);
  auto r = client("submit", args, job_args);
  if (r.exit_code != 0) throw std::runtime_error("submit failed: " + r.err);
  auto id = r.out;
  while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
  return id;
}

}  // namespace nagare::testing
