// kafka-test-broker: a Kafka cluster for tests and demos, librdkafka's mock
// cluster (rdkafka_mock.h) in a process of its own. It speaks the Kafka
// protocol on loopback TCP, keeps everything in memory and is gone when the
// process ends.
//
//   kafka-test-broker [--brokers N] [--topic NAME:PARTITIONS]...
//
// The first line on standard output is the bootstrap address list
// ("127.0.0.1:PORT,127.0.0.1:PORT,..."). Then it reads commands, one per
// line, on standard input and answers each with one line, "ok" or
// "error: WHY":
//
//   down ID|all       take broker ID (1..N) or every broker down: it refuses
//                     connections but keeps its port
//   up ID|all         bring it back on the same port
//   topic NAME:PARTITIONS   create a topic
//   quit              exit (so does the end of standard input, or SIGTERM)
//
// Limits of the mock (librdkafka 2.0.2; measured, see docs/operations.md):
// about 5 MiB per partition are kept (older data is dropped silently);
// consuming runs at about 190 k messages/s; partitions cannot be added to a
// topic; transactions return OK but have no semantics (read_committed
// consumers see aborted data); timestamps cannot be looked up
// (offsets_for_times); unknown topics are created with 4 partitions on first
// use.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr int usage_error = 2;

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "kafka-test-broker: %s\n", message.c_str());
  return code;
}

// "NAME:PARTITIONS" with 1 <= PARTITIONS <= 1000.
bool parse_topic(const std::string& spec, std::string& name, int& partitions) {
  auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  name = spec.substr(0, colon);
  const std::string count = spec.substr(colon + 1);
  if (count.empty() || count.size() > 4 ||
      count.find_first_not_of("0123456789") != std::string::npos)
    return false;
  partitions = std::atoi(count.c_str());
  return partitions >= 1 && partitions <= 1000;
}

// Parses a positive decimal up to `max`.
bool parse_count(const std::string& text, int max, int& out) {
  if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::atoi(text.c_str());
  return out >= 1 && out <= max;
}

class broker {
 public:
  broker() = default;
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;
  ~broker() {
    if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
    if (handle_) rd_kafka_destroy(handle_);
  }

  bool start(int brokers, std::string& error) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // The handle only does the mock's bookkeeping; it never connects.
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!handle_) {
      rd_kafka_conf_destroy(conf);
      error = std::string("cannot create a client handle: ") + err;
      return false;
    }
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
    if (!cluster_) {
      error = "cannot start the mock cluster";
      return false;
    }
    brokers_ = brokers;
    return true;
  }

  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

  std::string create_topic(const std::string& spec) {
    std::string name;
    int partitions = 0;
    if (!parse_topic(spec, name, partitions))
      return "'" + spec + "' is not NAME:PARTITIONS (1 to 1000 partitions)";
    auto err = rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
    if (err) return "cannot create topic '" + name + "': " + rd_kafka_err2str(err);
    return {};
  }

  // `which` is a broker id or "all".
  std::string set(const std::string& which, bool up) {
    int first = 1, last = brokers_;
    if (which != "all") {
      if (!parse_count(which, brokers_, first))
        return "no broker '" + which + "' (1 to " + std::to_string(brokers_) + " or all)";
      last = first;
    }
    for (int id = first; id <= last; ++id) {
      auto err = up ? rd_kafka_mock_broker_set_up(cluster_, id)
                    : rd_kafka_mock_broker_set_down(cluster_, id);
      if (err) return "broker " + std::to_string(id) + ": " + rd_kafka_err2str(err);
    }
    return {};
  }

  // One command line; the error, or "" when it succeeded.
  std::string run(const std::string& line) {
    std::istringstream in(line);
    std::string verb, arg, extra;
    in >> verb >> arg >> extra;
    if (!extra.empty()) return "too many arguments: '" + line + "'";
    if (verb == "down" || verb == "up") {
      if (arg.empty()) return verb + " needs a broker id or 'all'";
      return set(arg, verb == "up");
    }
    if (verb == "topic") {
      if (arg.empty()) return "topic needs NAME:PARTITIONS";
      return create_topic(arg);
    }
    return "unknown command '" + verb + "' (down, up, topic, quit)";
  }

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  int brokers_ = 0;
};

const char* const help =
    "usage: kafka-test-broker [--brokers N] [--topic NAME:PARTITIONS]...\n"
    "A Kafka cluster in memory for tests (librdkafka's mock). Prints its bootstrap\n"
    "addresses as the first line, then takes commands on standard input:\n"
    "  down ID|all, up ID|all, topic NAME:PARTITIONS, quit\n";

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  std::vector<std::string> topics;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(help, stdout);
      return 0;
    }
    if ((a == "--brokers" || a == "--topic") && i + 1 >= argc)
      return fail(usage_error, a + " needs a value");
    if (a == "--brokers") {
      if (!parse_count(argv[++i], 16, brokers))
        return fail(usage_error, std::string("--brokers '") + argv[i] + "' is not from 1 to 16");
    } else if (a == "--topic") {
      topics.push_back(argv[++i]);
    } else {
      return fail(usage_error, "unknown argument '" + a + "' (see --help)");
    }
  }
  // Exit through the end of main (destroying the cluster) on SIGTERM/SIGINT:
  // std::getline returns when the blocked read fails with EINTR.
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  broker b;
  std::string error;
  if (!b.start(brokers, error)) return fail(1, error);
  for (const auto& t : topics)
    if (auto e = b.create_topic(t); !e.empty()) return fail(usage_error, e);
  std::cout << b.bootstraps() << std::endl;

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    if (line == "quit") break;
    auto e = b.run(line);
    std::cout << (e.empty() ? "ok" : "error: " + e) << std::endl;
  }
  return 0;
}
