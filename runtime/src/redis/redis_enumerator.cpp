#include "redis_enumerator.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "redis_connection.hpp"
#include "redis_stream_config.hpp"
#include "source/background_enumerator.hpp"

namespace nagare {

namespace {

const std::string what = "redis stream source";

// The ID of the last entry of `stream` ("0-0" when it is empty or absent).
result<std::string> last_id(redis::connection& conn, const std::string& stream) {
  auto r = conn.run({"XREVRANGE", stream, "+", "-", "COUNT", "1"});
  if (!r.ok()) return r.error();
  const redisReply& a = *r.value();
  if (a.type != REDIS_REPLY_ARRAY) return status::io_error(what + ": unexpected XREVRANGE reply");
  if (a.elements == 0) return std::string("0-0");
  const redisReply& e = *a.element[0];
  if (e.type != REDIS_REPLY_ARRAY || e.elements < 1 || e.element[0]->type != REDIS_REPLY_STRING)
    return status::io_error(what + ": unexpected XREVRANGE reply");
  return std::string(e.element[0]->str, e.element[0]->len);
}

// The keys of the streams matching `glob`, sorted.
result<std::vector<std::string>> scan(redis::connection& conn, const std::string& glob) {
  std::vector<std::string> out;
  std::string cursor = "0";
  do {
    auto r = conn.run({"SCAN", cursor, "MATCH", glob, "COUNT", "1000", "TYPE", "stream"});
    if (!r.ok()) return r.error();
    const redisReply& a = *r.value();
    if (a.type != REDIS_REPLY_ARRAY || a.elements != 2 || a.element[1]->type != REDIS_REPLY_ARRAY)
      return status::io_error(what + ": unexpected SCAN reply");
    cursor = redis::text_of(*a.element[0]);
    const redisReply& keys = *a.element[1];
    for (size_t i = 0; i < keys.elements; ++i) out.push_back(redis::text_of(*keys.element[i]));
  } while (cursor != "0" && !cursor.empty());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// One discovery round of a redis stream source (background_enumerator::round_fn):
// the listed streams, or those matching the pattern, not known yet; in the
// first round their start (start=latest) and end (stop=latest) IDs.
background_enumerator::round_fn redis_round(const redis_stream_config& config) {
  std::shared_ptr<redis::connection> conn;  // made by the first round, on the thread
  return [config, conn](const std::set<std::string>& known,
                        bool first) mutable -> result<std::vector<source_split>> {
    if (!conn)
      conn = std::make_shared<redis::connection>(config.host, config.port, config.timeout_ms);
    std::vector<std::string> names = config.streams;
    if (!config.pattern.empty()) {
      auto found = scan(*conn, config.pattern);
      if (!found.ok()) return found.error();
      names = std::move(found.value());
    }
    std::vector<source_split> splits;
    for (const auto& name : names) {
      if (known.count(name)) continue;
      source_split s;
      s.id = name;
      s.start = "0-0";
      if (first && (config.start_latest || config.bounded)) {
        auto last = last_id(*conn, name);
        if (!last.ok()) return last.error();
        if (config.start_latest) s.start = last.value();
        if (config.bounded) s.end = last.value();
      }
      splits.push_back(std::move(s));
    }
    return splits;
  };
}

}  // namespace

result<std::unique_ptr<split_enumerator>> make_redis_enumerator(const std::string& config) {
  redis_stream_config c;
  if (!redis::decode_stream_config(config, c))
    return status::invalid_argument("malformed configuration of a redis split enumerator");
  if (auto st = detail::check_redis_source(c); !st.ok()) return st;
  const bool once = c.bounded || c.pattern.empty();
  return std::unique_ptr<split_enumerator>(
      new background_enumerator("redis", redis_round(c), c.discovery_interval_ms, c.bounded, once));
}

}  // namespace nagare
