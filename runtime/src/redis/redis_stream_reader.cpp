// redis_stream_source's reader without its record type
// (nagare/redis_source.hpp): one connection per source subtask, XREAD
// without blocking over the subtask's unfinished streams, each from after
// its position; connection failures are retried with backoff inside poll().
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <unordered_map>

#include "nagare/redis_source.hpp"
#include "redis_connection.hpp"

namespace nagare::detail {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto first_backoff = std::chrono::milliseconds(100);
constexpr auto max_backoff = std::chrono::milliseconds(2000);

}  // namespace

struct redis_stream_reader::impl {
  struct stream {
    std::string key;       // the split id
    std::string position;  // ID of the last entry emitted (or the start): read after it
    redis::entry_id at;    // position, parsed
    std::optional<redis::entry_id> end;  // bounded: the last entry to read
    bool finished = false;
    bool finish_reported = false;
  };

  redis_stream_config config;
  std::string what;  // "redis stream source TASK"
  std::unique_ptr<redis::connection> conn;
  std::vector<stream> streams;
  std::unordered_map<std::string, size_t> index;          // key -> streams
  std::unordered_map<std::string, std::string> restored;  // split id -> position
  bool no_more = false;
  status error;
  size_t next_first = 0;            // round-robin start over the streams
  const stream* current = nullptr;  // the split of the last entry emitted
  std::optional<clock::time_point> failing_since;
  clock::time_point retry_at{};
  clock::duration backoff = first_backoff;
  uint64_t failures = 0;  // reported: the 1st, 10th, 100th, ...
  redis_entry entry;      // reused for every entry
  std::vector<redis::reply_ptr> replies;

  void finish(stream& s) { s.finished = true; }

  void report_finished(redis_entry_sink& out) {
    for (auto& s : streams)
      if (s.finished && !s.finish_reported) {
        out.split_finished(s.key);
        s.finish_reported = true;
        if (current == &s) current = nullptr;
      }
  }

  // A failed round trip: backs off, and fails the task once failing for
  // longer than the failure timeout.
  status on_failure(const status& st) {
    auto now = clock::now();
    if (!failing_since) {
      failing_since = now;
      backoff = first_backoff;
    }
    ++failures;
    uint64_t n = failures;
    while (n % 10 == 0) n /= 10;
    if (n == 1)
      std::fprintf(stderr, "nagare: %s: %s (failure %llu, retried)\n", what.c_str(),
                   st.message().c_str(), static_cast<unsigned long long>(failures));
    if (now - *failing_since >= std::chrono::milliseconds(config.failure_timeout_ms))
      return status(errc::unavailable, what + ": failing for " +
                                           std::to_string(config.failure_timeout_ms / 1000) +
                                           " s: " + st.message());
    retry_at = now + backoff;
    backoff = std::min<clock::duration>(backoff * 2, max_backoff);
    return {};
  }

  // Emits the entries of one stream of an XREAD reply; false when malformed.
  bool take(const redisReply& r, redis_entry_sink& out, std::vector<uint8_t>& seen) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 ||
        r.element[0]->type != REDIS_REPLY_STRING || r.element[1]->type != REDIS_REPLY_ARRAY)
      return false;
    auto it = index.find(std::string(r.element[0]->str, r.element[0]->len));
    if (it == index.end()) return false;
    stream& s = streams[it->second];
    seen[it->second] = 1;
    const redisReply& entries = *r.element[1];
    for (size_t i = 0; i < entries.elements && !s.finished; ++i) {
      const redisReply& e = *entries.element[i];
      if (e.type != REDIS_REPLY_ARRAY || e.elements != 2 ||
          e.element[0]->type != REDIS_REPLY_STRING)
        return false;
      std::string id(e.element[0]->str, e.element[0]->len);
      redis::entry_id parsed;
      if (!redis::parse_entry_id(id, parsed)) return false;
      if (s.end && *s.end < parsed) {
        finish(s);
        break;
      }
      entry.stream = s.key;
      entry.id = id;
      entry.fields.clear();
      const redisReply& f = *e.element[1];
      if (f.type == REDIS_REPLY_ARRAY)
        for (size_t k = 0; k + 1 < f.elements; k += 2)
          entry.fields.emplace_back(std::string(f.element[k]->str, f.element[k]->len),
                                    std::string(f.element[k + 1]->str, f.element[k + 1]->len));
      if (current != &s) out.split(s.key);
      current = &s;
      s.position = std::move(id);
      s.at = parsed;
      out.entry(entry);
      if (s.end && *s.end <= s.at) finish(s);
    }
    return true;
  }
};

redis_stream_reader::redis_stream_reader(redis_stream_config config)
    : impl_(std::make_unique<impl>()) {
  impl_->config = std::move(config);
}

redis_stream_reader::~redis_stream_reader() = default;

status redis_stream_reader::open(const subtask_info& info) {
  auto& s = *impl_;
  s.what = "redis stream source " + info.task_name;
  s.conn = std::make_unique<redis::connection>(s.config.host, s.config.port, s.config.timeout_ms);
  return {};
}

void redis_stream_reader::add_splits(std::vector<source_split> splits) {
  auto& s = *impl_;
  for (auto& split : splits) {
    impl::stream st;
    st.key = split.id;
    st.position = split.start;
    if (auto it = s.restored.find(split.id); it != s.restored.end()) st.position = it->second;
    if (!redis::parse_entry_id(st.position, st.at)) {
      s.error = status::invalid_argument("malformed redis split '" + split.id + "'");
      continue;
    }
    if (split.end) {
      redis::entry_id end;
      if (!redis::parse_entry_id(*split.end, end)) {
        s.error = status::invalid_argument("malformed end of redis split '" + split.id + "'");
        continue;
      }
      st.end = end;
      // An empty stream at the start, or a position at its end: nothing to read.
      if ((end.ms == 0 && end.seq == 0) || end <= st.at) st.finished = true;
    }
    if (s.index.count(st.key)) continue;  // dealt twice: read once
    s.index[st.key] = s.streams.size();
    s.streams.push_back(std::move(st));
  }
  s.current = nullptr;  // the vector may have moved
}

void redis_stream_reader::no_more_splits() { impl_->no_more = true; }

status redis_stream_reader::poll(size_t max_entries, redis_entry_sink& out, bool& end) {
  auto& s = *impl_;
  end = false;
  if (!s.error.ok()) return s.error;
  if (!s.conn) return status(errc::internal, s.what + ": polled while not open");
  s.report_finished(out);
  std::vector<size_t> active;
  for (size_t i = 0; i < s.streams.size(); ++i)
    if (!s.streams[i].finished) active.push_back(i);
  if (active.empty()) {
    end = s.no_more;
    return {};
  }
  if (max_entries == 0 || clock::now() < s.retry_at) return {};
  // Up to max_entries streams, round robin, COUNT sharing max_entries among them.
  std::rotate(active.begin(),
              std::lower_bound(active.begin(), active.end(), s.next_first % s.streams.size()),
              active.end());
  if (active.size() > max_entries) active.resize(max_entries);
  s.next_first = active.back() + 1;
  redis::command xread = {"XREAD", "COUNT", std::to_string(max_entries / active.size()), "STREAMS"};
  for (size_t i : active) xread.push_back(s.streams[i].key);
  for (size_t i : active) xread.push_back(s.streams[i].position);
  if (auto st = s.conn->pipeline({xread}, s.replies); !st.ok()) return s.on_failure(st);
  s.failing_since.reset();
  const redisReply& r = *s.replies[0];
  if (auto st = redis::error_of(r, s.what); !st.ok()) return st;
  std::vector<uint8_t> seen(s.streams.size(), 0);
  if (r.type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r.elements; ++i)
      if (!s.take(*r.element[i], out, seen)) {
        s.conn->drop();
        return status(errc::io_error, s.what + ": unexpected XREAD reply");
      }
  } else if (r.type != REDIS_REPLY_NIL) {
    s.conn->drop();
    return status(errc::io_error, s.what + ": unexpected XREAD reply");
  }
  // A bounded stream without entries after its position has none up to its
  // end (IDs only grow; its last entry may have been deleted since the start).
  for (size_t i : active)
    if (!seen[i] && s.streams[i].end) s.finish(s.streams[i]);
  s.report_finished(out);
  if (s.no_more) {
    end = true;
    for (const auto& st : s.streams) end = end && st.finished;
  }
  return {};
}

void redis_stream_reader::splits(std::vector<std::string>& out) const {
  for (const auto& s : impl_->streams) out.push_back(s.key);
}

void redis_stream_reader::positions(std::vector<std::string>& out) const {
  for (const auto& s : impl_->streams) out.push_back(encode_split_position(s.key, s.position));
}

status redis_stream_reader::restore(const std::vector<std::string>& entries) {
  auto& s = *impl_;
  for (const auto& e : entries) {
    std::string id, at;
    redis::entry_id parsed;
    if (!decode_split_position(e, id, at) || !redis::parse_entry_id(at, parsed))
      return status::io_error("malformed redis stream source position");
    if (s.restored.count(id))
      return status::io_error("two positions for redis stream '" + id +
                              "' in the snapshot (a snapshot given twice?)");
    s.restored[id] = at;
  }
  return {};
}

record_origin redis_stream_reader::origin() const {
  const auto& s = *impl_;
  if (!s.current) return {};
  return {s.current->key, std::nullopt};
}

status redis_stream_reader::close() {
  impl_->conn.reset();
  return {};
}

}  // namespace nagare::detail
