// Enriching a stream from an external keyed table (Redis, PostgreSQL): each
// record's key is looked up asynchronously, through a cache, and joined with
// the value found (or its absence).
//
//   auto customers = nagare::lookup_table::from_uri(
//       "postgresql://app@db:5432/shop?table=customers&key=id&value=region&ttl=60000");
//   if (!customers.ok()) return customers.error();
//   orders.lookup(customers.value(),
//                 [](const order& o) { return o.customer; },
//                 [](order&& o, const std::string* region) {
//                   return regional_order{std::move(o), region ? *region : "unknown"};
//                 });
//
// Per subtask a lookup keeps an LRU cache (entries, expire-after-write TTL,
// misses cached too unless cache_misses=false) on the task's thread; keys it
// does not hold go to an I/O thread of the subtask, which sends every key
// queued meanwhile in one round trip (batches of `batch` keys per command,
// pipelined: MGET/HMGET, SELECT ... WHERE key = ANY($1)), completes them and
// backs off after errors. Woken by a first key, it waits while more keep
// coming (50 us at a time, 1 ms at most, up to in_flight keys), so that a
// batch of input goes out in one round trip. The task never waits on the table: the lookup is an
// asynchronous operator (nagare/async.hpp) with its bound on keys in flight,
// order, timeout, retries and failure action. A restore starts the lookups of
// records in flight at the checkpoint again.
//
// URI options the lookup takes (besides the table's own, nagare/table_reader.hpp):
//   cache=N          entries per subtask (default 100000; 0: no cache)
//   ttl=MS           expire an entry MS after it was written (default 0: never)
//   cache_misses=B   cache "not in the table" too (true|false, default true)
//   batch=N          keys per command (default 256)
//   in_flight=N      lookups in flight per subtask (default 1000)
//   timeout=MS       per lookup and per round trip (default 1000)
//   retries=N        attempts after the first (default 3), exponential backoff
//   backoff=MS       from MS (default 100) up to 5 s
//   order=ordered|unordered                 (default ordered)
//   on_failure=fail|default|dead_letter     after the last attempt (default
//                    fail: the task fails and the job restarts from its
//                    checkpoint; default: joined as not found)
//
// Counters (lookup_counters): per subtask, logged when it closes and shown by
// the lookup handle; latency is per round trip. The same figures are metrics
// (nagare_lookup_*, docs/operations.md "Prometheus") in a scope of the
// operator's metric group.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "nagare/async.hpp"
#include "nagare/collector.hpp"
#include "nagare/connector_uri.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/status.hpp"
#include "nagare/table_reader.hpp"

namespace nagare {

// What one subtask's lookup did so far.
struct lookup_counters {
  uint64_t hits = 0;            // keys answered by the cache
  uint64_t misses = 0;          // keys sent to the table
  uint64_t requests = 0;        // round trips
  uint64_t failures = 0;        // round trips that failed (timeouts, lost connections)
  uint64_t not_found = 0;       // keys the table did not have (answered by it)
  uint64_t latency_p50_us = 0;  // of the round trips
  uint64_t latency_p99_us = 0;
  uint64_t latency_max_us = 0;
};

namespace detail {

// A lookup's answer for one key.
struct lookup_value {
  std::string key;
  // Null: not in the table. Shared with the cache entry, so that a hit copies
  // a pointer, not the value.
  std::shared_ptr<const std::string> value;
  bool cached = false;  // came from the cache
};

struct lookup_config {
  connector_uri uri;
  table_reader_options reader;
  uint32_t cache_entries = 100000;
  uint32_t ttl_ms = 0;
  bool cache_misses = true;
  uint32_t backoff_ms = 100;
  // Keys one round trip waits for while they keep coming (the lookup's
  // in_flight: a batch of input arriving takes one round trip, not several).
  uint32_t round_trip_keys = 1000;
  // Makes the reader (tests may put their own here).
  function<result<owned<table_reader>>(const connector_uri&, const table_reader_options&)>
      make_reader;
};

// The reader of a lookup's table (config.make_reader, else by the URI's kind).
result<owned<table_reader>> make_table_reader(const lookup_config& config);

// One subtask's lookup: its cache, its I/O thread and its counters
// (runtime/src/lookup/lookup_client.cpp). start() and finished() run on the
// task's thread.
class lookup_client {
 public:
  explicit lookup_client(std::shared_ptr<const lookup_config> config);
  ~lookup_client();
  lookup_client(const lookup_client&) = delete;
  lookup_client& operator=(const lookup_client&) = delete;

  status open(const subtask_info& info);
  status close();
  // Answers from the cache at once, or queues `key` for the I/O thread.
  void start(std::string key, async_result<lookup_value> done);
  // A lookup's result reached the task: caches what the table said.
  void finished(const lookup_value& v);
  lookup_counters counters() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The lookup's handler of the asynchronous operator.
template <class In, class Out, class KeyFn, class Join>
class lookup_handler {
 public:
  lookup_handler(std::shared_ptr<const lookup_config> config, KeyFn key, Join join)
      : config_(std::move(config)), key_(std::move(key)), join_(std::move(join)) {}
  lookup_handler(const lookup_handler& o) : lookup_handler(o.config_, o.key_, o.join_) {}

  status open(const subtask_info& info) {
    client_ = std::make_shared<lookup_client>(config_);
    return client_->open(info);
  }
  status close() { return client_ ? client_->close() : status{}; }
  void start(const In& r, async_result<lookup_value> done) {
    client_->start(std::string(key_(r)), std::move(done));
  }
  void finish(In&& r, lookup_value&& v, collector<Out>& out) {
    client_->finished(v);
    out.emit(join_(std::move(r), v.value.get()));
  }
  lookup_counters counters() const { return client_ ? client_->counters() : lookup_counters{}; }

 private:
  std::shared_ptr<const lookup_config> config_;
  KeyFn key_;
  Join join_;
  std::shared_ptr<lookup_client> client_;
};

}  // namespace detail

// A keyed table to look up, as a URI names it (redis:// or postgresql://).
class lookup_table {
 public:
  static result<lookup_table> from_uri(const std::string& text);
  // A table read by a reader of one's own (tests, other stores).
  lookup_table(detail::lookup_config config, async_options async);

  std::string name() const;
  // Makes a reader and looks up one key: the table is there and answers.
  status validate() const;
  const async_options& async() const { return async_; }
  lookup_table& async(async_options a) {
    async_ = std::move(a);
    return *this;
  }
  std::shared_ptr<const detail::lookup_config> config() const { return config_; }

 private:
  std::shared_ptr<const detail::lookup_config> config_;
  async_options async_;
};

}  // namespace nagare
