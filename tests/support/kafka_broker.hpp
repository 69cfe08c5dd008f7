// The Kafka test broker (tests/support/kafka_test_broker.cpp) as a child
// process of a test, driven through its standard input, and kcat as the
// tests' independent Kafka client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "process.hpp"

namespace nagare::testing {

class kafka_broker {
 public:
  // Starts the broker program (NAGARE_KAFKA_BROKER) with `brokers` brokers
  // and the topics "NAME:PARTITIONS"; throws if it does not start.
  explicit kafka_broker(const std::vector<std::string>& topics = {}, int brokers = 1);
  ~kafka_broker();
  kafka_broker(const kafka_broker&) = delete;
  kafka_broker& operator=(const kafka_broker&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  // "kafka://BOOTSTRAP/TOPIC" plus the query, if any ("start=earliest&...").
  std::string uri(const std::string& topic, const std::string& query = "") const;

  // Commands (throw unless the broker answers "ok").
  void down(const std::string& which = "all");
  void up(const std::string& which = "all");
  void create_topic(const std::string& spec);

  // Produces `values` to `topic` with kcat, one message each (keyed by
  // `keys[i]` when given), to `partition` (-1: kcat's partitioner).
  void produce(const std::string& topic, const std::vector<std::string>& values, int partition = -1,
               const std::vector<std::string>& keys = {}) const;
  // Every message of `topic` with kcat, read_committed, up to the end:
  // "PARTITION<TAB>OFFSET<TAB>KEY<TAB>VALUE" per message, KEY empty when null.
  std::vector<std::string> consume(const std::string& topic) const;
  // Only the values.
  std::vector<std::string> values(const std::string& topic) const;

 private:
  std::string command(const std::string& line);

  pid_t pid_ = -1;
  int to_ = -1;    // its standard input
  int from_ = -1;  // its standard output
  std::string bootstrap_;
};

}  // namespace nagare::testing
