// Reading Redis Streams, on the split contract (nagare/source.hpp): each
// stream is a split, named by the stream's key. The job master's enumerator
// (the "redis" kind, built into libnagare) finds the streams, listed or
// matching a glob pattern (SCAN MATCH GLOB TYPE stream, at the start and
// every discovery interval: a stream created later is read from its
// beginning), and deals them to the source's subtasks; each subtask reads its
// streams with one connection, XREAD COUNT n STREAMS ... without blocking, so
// a poll never holds the task for longer than a round trip.
//
//   auto events = job.source(nagare::redis_stream_source<std::string>(
//       {"127.0.0.1", 6379, {"events"}}, [](const nagare::redis_entry& e) {
//         return e.fields.empty() ? std::string() : e.fields[0].second;
//       }));
//
// Exactly once: a split's position is the ID of the last entry emitted, kept
// in the checkpoints; a restore reads every stream from after it. Entries of
// one stream come in ID order.
//
// Start: where a stream known when the job starts is read from, resolved
// once by the enumerator to an entry ID (so all readers and a restart
// without checkpoint agree): its beginning (the default), or, with
// start_latest, after its last entry then (only entries added later).
// Bounded: the last entry ID of every stream at the start is its split's
// end; the source ends once every stream is read up to there (backfills,
// tests). Unbounded (the default): the job runs until cancelled or stopped.
//
// Failures: a lost or unreachable server is retried inside poll() with
// backoff (the poll emits nothing); the task fails only after
// redis_stream_config::failure_timeout_ms of failures without a success. A
// key that is not a stream fails validate() (and the task, if it appears
// later).
//
// URI form (nagare/connector_uri.hpp, detail::redis_line_source):
//   redis://HOST:PORT/STREAM[,STREAM...][?OPTIONS]
//   redis://HOST:PORT?pattern=GLOB[&OPTIONS]
// with the options
//   start=earliest|latest   where to start (default earliest)
//   stop=latest             bounded, up to the last entries at the start
//   pattern=GLOB            every stream whose key matches GLOB (no STREAM then)
//   field=NAME              the line source's record: the entry's field NAME
//                           (default "line"); an entry without it gives its
//                           fields as "k=v k=v" (a parser rejects it visibly)
// The password, if any, comes from the environment variable
// NAGARE_REDIS_PASSWORD (AUTH after connecting), never from the URI.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/connector_uri.hpp"
#include "nagare/function.hpp"
#include "nagare/owned.hpp"
#include "nagare/source.hpp"
#include "nagare/split.hpp"
#include "nagare/status.hpp"

namespace nagare {

// A stream entry as the deserializer sees it; valid during the call.
struct redis_entry {
  std::string stream;
  std::string id;                                           // "MS-SEQ"
  std::vector<std::pair<std::string, std::string>> fields;  // in the entry's order
};

// What a Redis stream source reads, as data (it travels in the plan to the
// job master's enumerator and to every reader).
struct redis_stream_config {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::vector<std::string> streams;  // read these ...
  std::string pattern;               // ... or every stream whose key matches this glob
  bool start_latest = false;         // start after the last entry at the start
  bool bounded = false;              // stop at the last entry at the start
  uint32_t discovery_interval_ms = 1000;
  uint32_t timeout_ms = 2000;           // connect and each round trip
  uint32_t failure_timeout_ms = 30000;  // failing this long without success fails the task
};

namespace detail {

// Receives the entries of redis_stream_reader::poll.
class redis_entry_sink {
 public:
  virtual ~redis_entry_sink() = default;
  virtual void split(const std::string& id) = 0;
  virtual void split_finished(const std::string& id) = 0;
  virtual void entry(const redis_entry& e) = 0;
};

// One source subtask's reader (runtime/src/redis/redis_stream_reader.cpp):
// the reader of redis_stream_source without its record type. Same call order
// as source_reader, from the task's thread only.
class redis_stream_reader {
 public:
  explicit redis_stream_reader(redis_stream_config config);
  ~redis_stream_reader();
  redis_stream_reader(const redis_stream_reader&) = delete;
  redis_stream_reader& operator=(const redis_stream_reader&) = delete;

  status open(const subtask_info& info);
  void add_splits(std::vector<source_split> splits);
  void no_more_splits();
  status poll(size_t max_entries, redis_entry_sink& out, bool& end);
  void splits(std::vector<std::string>& out) const;
  void positions(std::vector<std::string>& out) const;
  status restore(const std::vector<std::string>& entries);
  record_origin origin() const;
  status close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// redis_stream_source's checks, compiled into libnagare: the configuration,
// then (connecting, within timeout_ms) that every listed key is a stream or
// absent. Unreachable: errc::unavailable naming the server.
status validate_redis_source(const redis_stream_config& config);
// The same without connecting (the configuration only).
status check_redis_source(const redis_stream_config& config);
enumerator_spec redis_enumerator_spec(const redis_stream_config& config);

}  // namespace detail

template <class T>
class redis_stream_source {
 public:
  using record_type = T;
  using deserializer = function<T(const redis_entry&)>;

  redis_stream_source(redis_stream_config config, deserializer deserialize)
      : config_(std::move(config)), deserialize_(std::move(deserialize)) {}

  const redis_stream_config& config() const { return config_; }

  std::string name() const { return "redis stream source"; }
  status validate() const { return detail::validate_redis_source(config_); }
  enumerator_spec enumerator(uint32_t parallelism) const {
    (void)parallelism;
    return detail::redis_enumerator_spec(config_);
  }
  owned<source_reader<T>> create() const { return make_owned<reader>(config_, deserialize_); }

 private:
  class reader final : public source_reader<T>, detail::redis_entry_sink {
   public:
    reader(redis_stream_config config, deserializer deserialize)
        : streams_(std::move(config)), deserialize_(std::move(deserialize)) {}
    status open(const subtask_info& info) override { return streams_.open(info); }
    status poll(size_t max_records, collector<T>& out, bool& end) override {
      out_ = &out;
      auto st = streams_.poll(max_records, *this, end);
      out_ = nullptr;
      return st;
    }
    void splits(std::vector<std::string>& out) const override { streams_.splits(out); }
    status close() override { return streams_.close(); }
    void add_splits(std::vector<source_split> splits) override {
      streams_.add_splits(std::move(splits));
    }
    void no_more_splits() override { streams_.no_more_splits(); }
    void positions(std::vector<std::string>& out) const override { streams_.positions(out); }
    status restore(const std::vector<std::string>& entries, const subtask_info&) override {
      return streams_.restore(entries);
    }
    record_origin origin() const override { return streams_.origin(); }

   private:
    void split(const std::string& id) override { out_->split(id); }
    void split_finished(const std::string& id) override { out_->split_finished(id); }
    void entry(const redis_entry& e) override { out_->emit(deserialize_(e)); }

    detail::redis_stream_reader streams_;
    deserializer deserialize_;
    collector<T>* out_ = nullptr;
  };

  redis_stream_config config_;
  deserializer deserialize_;
};

namespace detail {

// The line source of a redis:// URI with streams or pattern= (options in
// the header comment), its options checked without connecting.
result<redis_stream_source<std::string>> redis_line_source(const connector_uri& uri);

}  // namespace detail

}  // namespace nagare
