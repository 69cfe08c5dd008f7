// The Kafka line source of a kafka:// URI (nagare/connector.hpp).
#include <charconv>

#include "nagare/connector.hpp"

namespace nagare::detail {

result<kafka_source<std::string>> kafka_line_source(const connector_uri& uri) {
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("input '" + uri.text + "': " + why);
  };
  kafka_connection connection{uri.servers, {}};
  std::string group, pattern;
  kafka_start start = kafka_start::earliest;
  int64_t timestamp = 0;
  bool bounded = false;
  for (const auto& [name, value] : uri.options) {
    if (name == "start") {
      if (value == "earliest") {
        start = kafka_start::earliest;
      } else if (value == "latest") {
        start = kafka_start::latest;
      } else if (value == "committed") {
        start = kafka_start::committed;
      } else {
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), timestamp);
        if (ec != std::errc() || end != value.data() + value.size() || timestamp < 0)
          return bad("start='" + value +
                     "' is not earliest, latest, committed or a timestamp in ms");
        start = kafka_start::timestamp;
      }
    } else if (name == "stop") {
      if (value != "latest") return bad("stop='" + value + "': only stop=latest is known");
      bounded = true;
    } else if (name == "group") {
      if (value.empty()) return bad("group= needs a name");
      group = value;
    } else if (name == "pattern") {
      pattern = value;
    } else if (name.find('.') != std::string::npos) {
      connection.property(name, value);
    } else {
      return bad("unknown option '" + name +
                 "' (start, stop, group, pattern, or a librdkafka property)");
    }
  }
  if (!pattern.empty() && !uri.topics.empty()) return bad("give topics or pattern=, not both");
  kafka_source<std::string> source(std::move(connection), kafka_value_text);
  if (pattern.empty())
    source.topics(uri.topics);
  else
    source.topic_pattern(pattern);
  source.group(group).start(start, timestamp).bounded(bounded);
  if (auto st = source.validate(); !st.ok()) return bad(st.message());
  return source;
}

result<kafka_output> kafka_output_of(const connector_uri& uri) {
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("output '" + uri.text + "': " + why);
  };
  if (uri.topics.size() != 1) return bad("name one topic");
  kafka_output out{{uri.servers, {}}, uri.topics[0], kafka_delivery::exactly_once};
  for (const auto& [name, value] : uri.options) {
    if (name == "delivery") {
      if (value == "exactly-once")
        out.delivery = kafka_delivery::exactly_once;
      else if (value == "at-least-once")
        out.delivery = kafka_delivery::at_least_once;
      else if (value == "none")
        out.delivery = kafka_delivery::none;
      else
        return bad("delivery='" + value + "' is not exactly-once, at-least-once or none");
    } else if (name.find('.') != std::string::npos) {
      out.connection.property(name, value);
    } else {
      return bad("unknown option '" + name + "' (delivery, or a librdkafka property)");
    }
  }
  return out;
}

}  // namespace nagare::detail
