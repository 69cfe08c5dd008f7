// redis_stream_source's configuration: its checks, its encoding for the
// enumerator, and the line source of a redis:// URI.
#include "redis_stream_config.hpp"

#include "redis_connection.hpp"

namespace nagare::redis {

std::string encode_stream_config(const redis_stream_config& c) {
  std::string out;
  codec<std::string>::encode(c.host, out);
  codec<uint16_t>::encode(c.port, out);
  codec<std::vector<std::string>>::encode(c.streams, out);
  codec<std::string>::encode(c.pattern, out);
  codec<bool>::encode(c.start_latest, out);
  codec<bool>::encode(c.bounded, out);
  codec<uint32_t>::encode(c.discovery_interval_ms, out);
  codec<uint32_t>::encode(c.timeout_ms, out);
  codec<uint32_t>::encode(c.failure_timeout_ms, out);
  return out;
}

bool decode_stream_config(const std::string& bytes, redis_stream_config& c) {
  byte_reader in(bytes.data(), bytes.size());
  return codec<std::string>::decode(in, c.host) && codec<uint16_t>::decode(in, c.port) &&
         codec<std::vector<std::string>>::decode(in, c.streams) &&
         codec<std::string>::decode(in, c.pattern) && codec<bool>::decode(in, c.start_latest) &&
         codec<bool>::decode(in, c.bounded) &&
         codec<uint32_t>::decode(in, c.discovery_interval_ms) &&
         codec<uint32_t>::decode(in, c.timeout_ms) &&
         codec<uint32_t>::decode(in, c.failure_timeout_ms) && in.remaining() == 0;
}

}  // namespace nagare::redis

namespace nagare::detail {

status check_redis_source(const redis_stream_config& c) {
  const std::string what = "redis stream source";
  if (c.host.empty() || c.port == 0) return status::invalid_argument(what + ": no server");
  if (c.streams.empty() == c.pattern.empty())
    return status::invalid_argument(what + ": give either streams or a pattern");
  for (const auto& s : c.streams)
    if (s.empty()) return status::invalid_argument(what + ": an empty stream name");
  if (c.discovery_interval_ms == 0)
    return status::invalid_argument(what + ": the discovery interval must be positive");
  if (c.timeout_ms == 0) return status::invalid_argument(what + ": the timeout must be positive");
  return {};
}

status validate_redis_source(const redis_stream_config& c) {
  if (auto st = check_redis_source(c); !st.ok()) return st;
  redis::connection conn(c.host, c.port, c.timeout_ms);
  const std::string what = "redis stream source " + conn.address();
  for (const auto& s : c.streams) {
    auto r = conn.run({"TYPE", s});
    if (!r.ok()) return status(r.error().code(), "redis stream source: " + r.error().message());
    auto type = redis::text_of(*r.value());
    if (type != "stream" && type != "none")
      return status::invalid_argument(what + ": key '" + s + "' is a " + type + ", not a stream");
  }
  if (c.streams.empty()) {  // a pattern: the server must answer
    auto r = conn.run({"PING"});
    if (!r.ok()) return status(r.error().code(), "redis stream source: " + r.error().message());
  }
  return {};
}

enumerator_spec redis_enumerator_spec(const redis_stream_config& c) {
  // The master asks every 100 ms at most: discover() only takes what the
  // enumerator's thread found (as kafka_source's).
  uint32_t poll_ms = c.discovery_interval_ms < 100 ? c.discovery_interval_ms : 100;
  return {"redis", redis::encode_stream_config(c), poll_ms, c.bounded};
}

result<redis_stream_source<std::string>> redis_line_source(const connector_uri& uri) {
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("input '" + uri.text + "': " + why);
  };
  if (uri.type != connector_uri::kind::redis) return bad("not a redis:// URI");
  redis_stream_config c;
  c.host = uri.host();
  c.port = uri.port();
  c.streams = uri.topics;
  std::string field = "line";
  for (const auto& [name, value] : uri.options) {
    if (name == "start") {
      if (value == "earliest")
        c.start_latest = false;
      else if (value == "latest")
        c.start_latest = true;
      else
        return bad("start='" + value + "' is not earliest or latest");
    } else if (name == "stop") {
      if (value != "latest") return bad("stop='" + value + "': only stop=latest is known");
      c.bounded = true;
    } else if (name == "pattern") {
      if (value.empty()) return bad("pattern= needs a glob");
      c.pattern = value;
    } else if (name == "field") {
      if (value.empty()) return bad("field= needs a name");
      field = value;
    } else {
      return bad("unknown option '" + name + "' (start, stop, pattern, field)");
    }
  }
  if (!c.pattern.empty() && !c.streams.empty()) return bad("give streams or pattern=, not both");
  if (c.pattern.empty() && c.streams.empty()) return bad("name a stream or give pattern=");
  if (auto st = check_redis_source(c); !st.ok()) return bad(st.message());
  return redis_stream_source<std::string>(std::move(c), [field](const redis_entry& e) {
    for (const auto& [k, v] : e.fields)
      if (k == field) return v;
    std::string joined;
    for (const auto& [k, v] : e.fields) {
      if (!joined.empty()) joined += ' ';
      joined += k + "=" + v;
    }
    return joined;
  });
}

}  // namespace nagare::detail
