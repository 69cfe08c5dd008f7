#include "kafka_broker.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "text_lines.hpp"

namespace nagare::testing {

namespace {

std::string broker_program() {
  const char* p = std::getenv("NAGARE_KAFKA_BROKER");
  if (!p) throw std::runtime_error("NAGARE_KAFKA_BROKER is not set");
  return p;
}

// One line from `fd` (without its newline), waiting up to `deadline`.
std::string read_line(int fd, std::chrono::seconds deadline) {
  std::string line;
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("kafka-test-broker: no answer in time");
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char c;
    auto n = ::read(fd, &c, 1);
    if (n <= 0) throw std::runtime_error("kafka-test-broker exited");
    if (c == '\n') return line;
    line += c;
  }
}

}  // namespace

kafka_broker::kafka_broker(const std::vector<std::string>& topics, int brokers) {
  std::vector<std::string> argv = {broker_program(), "--brokers", std::to_string(brokers)};
  for (const auto& t : topics) {
    argv.push_back("--topic");
    argv.push_back(t);
  }
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_ = in[1];
  from_ = out[0];
  bootstrap_ = read_line(from_, std::chrono::seconds(10));
  if (bootstrap_.find(':') == std::string::npos)
    throw std::runtime_error("kafka-test-broker printed '" + bootstrap_ + "'");
}

kafka_broker::~kafka_broker() {
  if (to_ >= 0) ::close(to_);  // end of input: it exits
  if (pid_ > 0) {
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      ::usleep(20000);
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  if (from_ >= 0) ::close(from_);
}

std::string kafka_broker::uri(const std::string& topic, const std::string& query) const {
  return "kafka://" + bootstrap_ + "/" + topic + (query.empty() ? "" : "?" + query);
}

std::string kafka_broker::command(const std::string& line) {
  std::string text = line + "\n";
  if (::write(to_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("kafka-test-broker: cannot send '" + line + "'");
  auto answer = read_line(from_, std::chrono::seconds(10));
  if (answer != "ok") throw std::runtime_error("kafka-test-broker: " + line + ": " + answer);
  return answer;
}

void kafka_broker::down(const std::string& which) { command("down " + which); }
void kafka_broker::up(const std::string& which) { command("up " + which); }
void kafka_broker::create_topic(const std::string& spec) { command("topic " + spec); }

void kafka_broker::produce(const std::string& topic, const std::vector<std::string>& values,
                           int partition, const std::vector<std::string>& keys) const {
  // kcat reads "KEY<TAB>VALUE" lines with -K'\t'; values may not hold '\n'.
  temp_dir dir;
  std::string input;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].find('\n') != std::string::npos)
      throw std::runtime_error("produce: a value holds a newline");
    if (!keys.empty()) input += keys[i] + "\t";
    input += values[i] + "\n";
  }
  write_file(dir / "input", input);
  std::vector<std::string> argv = {"/usr/bin/kcat", "-P", "-b",         bootstrap_, "-t",
                                   topic,           "-l", dir / "input"};
  if (!keys.empty()) argv.push_back("-K\t");
  if (partition >= 0) {
    argv.push_back("-p");
    argv.push_back(std::to_string(partition));
  }
  argv.push_back("-X");
  argv.push_back("enable.idempotence=true");
  auto r = run_process(argv, std::chrono::seconds(60));
  if (r.exit_code != 0) throw std::runtime_error("kcat -P failed: " + r.err);
}

std::vector<std::string> kafka_broker::consume(const std::string& topic) const {
  auto r = run_process({"/usr/bin/kcat", "-C", "-b", bootstrap_, "-t", topic, "-e", "-q", "-X",
                        "isolation.level=read_committed", "-f", "%p\t%o\t%k\t%s\\n"},
                       std::chrono::seconds(60));
  if (r.exit_code != 0) throw std::runtime_error("kcat -C failed: " + r.err);
  return lines_of(r.out);
}

std::vector<std::string> kafka_broker::values(const std::string& topic) const {
  std::vector<std::string> out;
  for (auto& line : consume(topic)) {
    size_t at = 0;
    for (int i = 0; i < 3; ++i) {
      auto tab = line.find('\t', at);
      if (tab == std::string::npos) throw std::runtime_error("kcat printed '" + line + "'");
      at = tab + 1;
    }
    out.push_back(line.substr(at));
  }
  return out;
}

}  // namespace nagare::testing
