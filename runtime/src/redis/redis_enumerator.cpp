#include "redis_enumerator.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "redis_connection.hpp"
#include "redis_stream_config.hpp"

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

class redis_enumerator final : public split_enumerator {
 public:
  explicit redis_enumerator(redis_stream_config c) : config_(std::move(c)) {}

  ~redis_enumerator() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  result<std::vector<source_split>> discover() override {
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<source_split> out = std::move(restored_);
    restored_.clear();
    for (auto& s : found_) {
      handed_out_.push_back(s);
      out.push_back(std::move(s));
    }
    found_.clear();
    if (out.empty() && !error_.ok()) return std::exchange(error_, status{});
    error_ = status{};
    if (first_done_) handed_first_done_ = true;
    if (first_done_ && config_.bounded) finished_ = true;
    return out;
  }

  bool discovery_finished() const override { return finished_; }

  std::string snapshot() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return encode(std::pair<std::vector<source_split>, bool>(handed_out_, handed_first_done_));
  }

  status restore(const std::string& snapshot) override {
    std::pair<std::vector<source_split>, bool> s;
    byte_reader in(snapshot.data(), snapshot.size());
    if (!codec<std::pair<std::vector<source_split>, bool>>::decode(in, s) || in.remaining() != 0)
      return status::io_error("malformed snapshot of a redis split enumerator");
    std::lock_guard<std::mutex> lock(mutex_);
    handed_out_ = s.first;
    restored_ = std::move(s.first);
    for (const auto& split : handed_out_) known_.insert(split.id);
    first_done_ = handed_first_done_ = s.second;
    return {};
  }

 private:
  // The discovery thread: a round every interval until stopped (or, for
  // listed streams or a bounded source, until the first round succeeded).
  void run() {
    redis::connection conn(config_.host, config_.port, config_.timeout_ms);
    for (;;) {
      status st = round(conn);
      std::unique_lock<std::mutex> lock(mutex_);
      if (!st.ok()) error_ = st;
      if ((config_.bounded || config_.pattern.empty()) && first_done_) return;
      wake_.wait_for(lock, std::chrono::milliseconds(config_.discovery_interval_ms),
                     [this] { return stopping_; });
      if (stopping_) return;
    }
  }

  status round(redis::connection& conn) {
    std::set<std::string> known;
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      known = known_;
      first = !first_done_;
    }
    std::vector<std::string> names = config_.streams;
    if (!config_.pattern.empty()) {
      auto found = scan(conn, config_.pattern);
      if (!found.ok()) return found.error();
      names = std::move(found.value());
    }
    std::vector<source_split> splits;
    for (const auto& name : names) {
      if (known.count(name)) continue;
      source_split s;
      s.id = name;
      s.start = "0-0";
      if (first && (config_.start_latest || config_.bounded)) {
        auto last = last_id(conn, name);
        if (!last.ok()) return last.error();
        if (config_.start_latest) s.start = last.value();
        if (config_.bounded) s.end = last.value();
      }
      splits.push_back(std::move(s));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& s : splits) {
      known_.insert(s.id);
      found_.push_back(std::move(s));
    }
    if (first) first_done_ = true;
    return {};
  }

  const redis_stream_config config_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  bool stopping_ = false;
  std::set<std::string> known_;           // found by the thread (handed out or not)
  std::vector<source_split> found_;       // found, not handed out yet
  std::vector<source_split> restored_;    // from the snapshot, handed out again first
  std::vector<source_split> handed_out_;  // every split discover() returned
  bool first_done_ = false;               // the thread's first round succeeded
  bool handed_first_done_ = false;        // ... and discover() has handed its splits out
  status error_;                          // of the last failed round, until reported
  bool finished_ = false;
};

}  // namespace

result<std::unique_ptr<split_enumerator>> make_redis_enumerator(const std::string& config) {
  redis_stream_config c;
  if (!redis::decode_stream_config(config, c))
    return status::invalid_argument("malformed configuration of a redis split enumerator");
  if (auto st = detail::check_redis_source(c); !st.ok()) return st;
  return std::unique_ptr<split_enumerator>(new redis_enumerator(std::move(c)));
}

}  // namespace nagare
