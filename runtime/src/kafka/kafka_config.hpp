// librdkafka configuration for the Kafka connectors: a kafka_connection's
// properties over the connector's own defaults, checked, and the source's
// configuration as bytes (it travels in the plan).
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/kafka_connection.hpp"
#include "nagare/kafka_source.hpp"
#include "nagare/status.hpp"

namespace nagare::kafka {

using properties = std::vector<std::pair<std::string, std::string>>;

struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

struct handle_deleter {
  void operator()(rd_kafka_t* h) const { rd_kafka_destroy(h); }
};
using handle_ptr = std::unique_ptr<rd_kafka_t, handle_deleter>;

struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using partition_list_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

// A librdkafka configuration: `defaults`, then the connection's bootstrap
// servers and properties (a user property overrides a default), then
// `fixed`, which the user may not change: a user property naming one of them
// with another value is an error naming it. Without a sasl.password among
// the properties, the one in NAGARE_KAFKA_SASL_PASSWORD (or the file
// NAGARE_KAFKA_SASL_PASSWORD_FILE names) is taken, if any: secret.hpp.
// `what` names the connector in errors ("kafka source").
result<conf_ptr> make_conf(const kafka_connection& c, const properties& defaults,
                           const properties& fixed, const std::string& what);

// A client handle of `type` from `conf` (taken over).
result<handle_ptr> make_handle(rd_kafka_type_t type, conf_ptr conf, const std::string& what);

// The split id of a partition, "TOPIC/PARTITION", and back.
std::string split_id(const std::string& topic, int32_t partition);
bool parse_split_id(const std::string& id, std::string& topic, int32_t& partition);

std::string encode_source_config(const kafka_source_config& c);
bool decode_source_config(const std::string& bytes, kafka_source_config& c);

// Offsets in split starts, ends and positions: the codec of int64_t; a
// start may be RD_KAFKA_OFFSET_BEGINNING (a partition found later).
std::string encode_offset(int64_t offset);
bool decode_offset(const std::string& bytes, int64_t& offset);

}  // namespace nagare::kafka
