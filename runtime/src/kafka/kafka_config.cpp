#include "kafka_config.hpp"

#include <regex>

#include "nagare/codec.hpp"
#include "secret.hpp"

namespace nagare::kafka {

result<conf_ptr> make_conf(const kafka_connection& c, const properties& defaults,
                           const properties& fixed, const std::string& what) {
  conf_ptr conf(rd_kafka_conf_new());
  char err[512];
  auto set = [&](const std::string& name, const std::string& value) -> status {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK)
      return status::invalid_argument(what + ": property " + name + "=" +
                                      (is_secret_option(name) ? "***" : value) + ": " + err);
    return {};
  };
  for (const auto& [name, value] : defaults)
    if (auto st = set(name, value); !st.ok()) return st;
  if (c.bootstrap_servers.empty()) return status::invalid_argument(what + ": no bootstrap servers");
  if (auto st = set("bootstrap.servers", c.bootstrap_servers); !st.ok()) return st;
  for (const auto& [name, value] : c.properties) {
    for (const auto& [fixed_name, fixed_value] : fixed)
      if (name == fixed_name && value != fixed_value)
        return status::invalid_argument(what + ": property " + name + " must be " + fixed_value +
                                        " (the connector's guarantees depend on it)");
    if (auto st = set(name, value); !st.ok()) return st;
  }
  for (const auto& [name, value] : fixed)
    if (auto st = set(name, value); !st.ok()) return st;
  // A SASL password from where the job runs, unless the job set one.
  bool has_password = false;
  for (const auto& p : c.properties) has_password = has_password || p.first == "sasl.password";
  if (!has_password) {
    auto password = secret_from_environment("NAGARE_KAFKA_SASL_PASSWORD");
    if (!password.ok())
      return status(password.error().code(), what + ": " + password.error().message());
    if (!password->empty())
      if (auto st = set("sasl.password", *password); !st.ok()) return st;
  }
  return conf;
}

result<handle_ptr> make_handle(rd_kafka_type_t type, conf_ptr conf, const std::string& what) {
  char err[512];
  rd_kafka_t* h = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!h) return status::invalid_argument(what + ": cannot create a client: " + err);
  conf.release();  // rd_kafka_new took it
  return handle_ptr(h);
}

std::string split_id(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

bool parse_split_id(const std::string& id, std::string& topic, int32_t& partition) {
  auto slash = id.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == id.size() ||
      id.size() - slash - 1 > 9)
    return false;
  int32_t p = 0;
  for (size_t i = slash + 1; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return false;
    p = p * 10 + (id[i] - '0');
  }
  topic = id.substr(0, slash);
  partition = p;
  return true;
}

std::string encode_source_config(const kafka_source_config& c) {
  std::string out;
  codec<kafka_connection>::encode(c.connection, out);
  codec<std::vector<std::string>>::encode(c.topics, out);
  codec<std::string>::encode(c.topic_pattern, out);
  codec<std::string>::encode(c.group, out);
  codec<uint8_t>::encode(static_cast<uint8_t>(c.start), out);
  codec<int64_t>::encode(c.start_timestamp_ms, out);
  codec<bool>::encode(c.bounded, out);
  codec<uint32_t>::encode(c.discovery_interval_ms, out);
  return out;
}

bool decode_source_config(const std::string& bytes, kafka_source_config& c) {
  byte_reader in(bytes.data(), bytes.size());
  uint8_t start = 0;
  if (!codec<kafka_connection>::decode(in, c.connection) ||
      !codec<std::vector<std::string>>::decode(in, c.topics) ||
      !codec<std::string>::decode(in, c.topic_pattern) ||
      !codec<std::string>::decode(in, c.group) || !codec<uint8_t>::decode(in, start) ||
      !codec<int64_t>::decode(in, c.start_timestamp_ms) || !codec<bool>::decode(in, c.bounded) ||
      !codec<uint32_t>::decode(in, c.discovery_interval_ms) || in.remaining() != 0 ||
      start > static_cast<uint8_t>(kafka_start::timestamp))
    return false;
  c.start = static_cast<kafka_start>(start);
  return true;
}

std::string encode_offset(int64_t offset) { return encode(offset); }

bool decode_offset(const std::string& bytes, int64_t& offset) {
  byte_reader in(bytes.data(), bytes.size());
  return codec<int64_t>::decode(in, offset) && in.remaining() == 0 &&
         (offset >= 0 || offset == RD_KAFKA_OFFSET_BEGINNING);
}

}  // namespace nagare::kafka

namespace nagare::detail {

status validate_kafka_source(const kafka_source_config& c) {
  const std::string what = "kafka source";
  if (c.connection.bootstrap_servers.empty())
    return status::invalid_argument(what + ": no bootstrap servers");
  if (c.topics.empty() == c.topic_pattern.empty())
    return status::invalid_argument(what + ": give either topics or a topic pattern");
  for (const auto& t : c.topics)
    if (t.empty() || t.find('/') != std::string::npos)
      return status::invalid_argument(what + ": '" + t + "' is not a topic name");
  if (!c.topic_pattern.empty()) {
    try {
      std::regex re(c.topic_pattern);
    } catch (const std::regex_error& e) {
      return status::invalid_argument(what + ": topic pattern '" + c.topic_pattern +
                                      "' is not a regular expression: " + e.what());
    }
  }
  if (c.start == kafka_start::committed && c.group.empty())
    return status::invalid_argument(what + ": starting at committed offsets needs a group");
  if (c.discovery_interval_ms == 0)
    return status::invalid_argument(what + ": the discovery interval must be positive");
  // The properties must make a configuration librdkafka accepts.
  auto conf = kafka::make_conf(c.connection, {}, {}, what);
  if (!conf.ok()) return conf.error();
  return {};
}

enumerator_spec kafka_enumerator_spec(const kafka_source_config& c) {
  // The master asks for new splits every 100 ms at most: discover() only takes
  // what the enumerator's thread found, and the thread asks the brokers every
  // discovery interval; so the first partitions are dealt as soon as the
  // thread's first round is done, not an interval later.
  uint32_t poll_ms = c.discovery_interval_ms < 100 ? c.discovery_interval_ms : 100;
  return {"kafka", kafka::encode_source_config(c), poll_ms, c.bounded};
}

}  // namespace nagare::detail
