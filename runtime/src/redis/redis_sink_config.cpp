// redis_sink's checks and the sink configuration of a redis:// URI.
#include "nagare/redis_sink.hpp"
#include "redis_connection.hpp"

namespace nagare::detail {

status validate_redis_sink(const redis_sink_config& c) {
  const std::string what = "redis sink";
  if (c.host.empty() || c.port == 0) return status::invalid_argument(what + ": no server");
  if (c.target != redis_target::keys && c.name.empty())
    return status::invalid_argument(what + ": the hash or stream needs a name");
  if (c.target != redis_target::keys && !c.prefix.empty())
    return status::invalid_argument(what + ": a prefix is for plain keys only");
  redis::connection conn(c.host, c.port, c.timeout_ms);
  auto r = conn.run({"PING"});
  if (!r.ok()) return status(r.error().code(), what + ": " + r.error().message());
  return {};
}

}  // namespace nagare::detail

namespace nagare {

result<redis_sink_config> redis_output_of(const connector_uri& uri) {
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("output '" + uri.text + "': " + why);
  };
  if (uri.type != connector_uri::kind::redis) return bad("not a redis:// URI");
  redis_sink_config c;
  c.host = uri.host();
  c.port = uri.port();
  if (uri.topics.size() > 1) return bad("name one stream");
  if (uri.topics.size() == 1) {
    c.target = redis_target::stream;
    c.name = uri.topics[0];
  }
  for (const auto& [name, value] : uri.options) {
    if (name == "hash") {
      if (value.empty()) return bad("hash= needs a name");
      if (c.target == redis_target::stream) return bad("give a stream or hash=, not both");
      c.target = redis_target::hash;
      c.name = value;
    } else if (name == "prefix") {
      c.prefix = value;
    } else if (name == "delivery") {
      if (value == "exactly-once")
        c.delivery = redis_delivery::exactly_once;
      else if (value == "at-least-once")
        c.delivery = redis_delivery::at_least_once;
      else
        return bad("delivery='" + value + "' is not exactly-once or at-least-once");
    } else {
      return bad("unknown option '" + name + "' (hash, prefix, delivery)");
    }
  }
  if (c.target != redis_target::keys && !c.prefix.empty())
    return bad("prefix= is for plain keys (no hash= or stream)");
  return c;
}

}  // namespace nagare
