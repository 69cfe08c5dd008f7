// Where a Kafka connector connects: the bootstrap servers and any librdkafka
// configuration property (https://github.com/confluentinc/librdkafka/blob/
// master/CONFIGURATION.md), passed through unchanged. The connectors set a
// few properties of their own (offset handling, partition EOF events,
// idempotence); a property given here overrides those it may override and is
// refused, at validate(), where it would break the connector's guarantees
// (say enable.auto.commit=true for a source).
//
// The connectors use only librdkafka's public client API: they run the same
// against Apache Kafka, Redpanda or the test broker (tests/support/
// kafka_test_broker.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"

namespace nagare {

struct kafka_connection {
  std::string bootstrap_servers;  // "HOST:PORT[,HOST:PORT...]"
  std::vector<std::pair<std::string, std::string>> properties;

  kafka_connection& property(std::string name, std::string value) {
    properties.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

template <>
struct codec<kafka_connection> {
  static void encode(const kafka_connection& c, std::string& out) {
    codec<std::string>::encode(c.bootstrap_servers, out);
    codec<std::vector<std::pair<std::string, std::string>>>::encode(c.properties, out);
  }
  static bool decode(byte_reader& in, kafka_connection& c) {
    return codec<std::string>::decode(in, c.bootstrap_servers) &&
           codec<std::vector<std::pair<std::string, std::string>>>::decode(in, c.properties);
  }
};

}  // namespace nagare
