// One subtask's lookup (nagare/lookup.hpp): the cache on the task's thread,
// and an I/O thread that sends every key queued since its last round trip in
// one read of the table reader.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lookup/latency_histogram.hpp"
#include "lookup/lookup_cache.hpp"
#include "nagare/lookup.hpp"
#include "nagare/metrics.hpp"

namespace nagare::detail {

namespace {

constexpr uint32_t max_backoff_ms = 5000;
constexpr auto linger_step = std::chrono::microseconds(50);
constexpr auto max_linger = std::chrono::milliseconds(1);

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct lookup_client::impl {
  struct request {
    std::string key;
    async_result<lookup_value> done;
  };

  explicit impl(std::shared_ptr<const lookup_config> c)
      : config(std::move(c)), cache(config->cache_entries, config->ttl_ms) {}

  void io_loop();
  void round_trip(std::vector<request>& batch);

  std::shared_ptr<const lookup_config> config;
  std::string task;
  owned<table_reader> reader;
  lookup_cache cache;  // the task's thread

  std::mutex mutex;
  std::condition_variable wake;
  std::vector<request> queue;
  bool stopping = false;
  std::thread io;

  // Its metrics (nagare_lookup_*, in a scope of the operator's group): the
  // task's thread counts hits, misses and cache entries, the I/O thread the
  // rest (each metric has one writer).
  std::shared_ptr<metric_group> own_metrics;  // without a runtime's group (tests)
  counter* hits = nullptr;
  counter* misses = nullptr;
  gauge* cache_entries = nullptr;
  counter* requests = nullptr;
  counter* failures = nullptr;
  counter* not_found = nullptr;
  histogram* round_trip_seconds = nullptr;
  latency_histogram latency;  // finer, for the percentiles of counters()

  void register_metrics(metric_group& parent) {
    auto& m = parent.scope("nagare_lookup_");
    hits = &m.counter("cache_hits", "Keys the lookup's cache answered");
    misses = &m.counter("cache_misses", "Keys the lookup sent to its table");
    cache_entries = &m.gauge("cache_entries", "Entries in the lookup's cache");
    requests = &m.counter("round_trips", "Reads of the table (each for a batch of keys)");
    failures = &m.counter("round_trip_failures",
                          "Reads of the table that failed (timeouts, lost connections)");
    not_found = &m.counter("keys_not_found", "Keys the table answered it does not hold");
    round_trip_seconds =
        &m.histogram("round_trip_seconds", "Time a read of the table took, in seconds",
                     histogram::exponential(0.0001, 2, 14));
  }
  // The I/O thread's error state: a line when the table fails and when it
  // answers again.
  uint32_t backoff_ms = 0;
  std::vector<std::string> keys, values;
  std::vector<uint8_t> found;
};

lookup_client::lookup_client(std::shared_ptr<const lookup_config> config)
    : impl_(std::make_unique<impl>(std::move(config))) {}

lookup_client::~lookup_client() { close(); }

status lookup_client::open(const subtask_info& info) {
  impl_->task = info.task_name;
  if (!info.metrics) impl_->own_metrics = std::make_shared<metric_group>();
  impl_->register_metrics(info.metrics ? *info.metrics : *impl_->own_metrics);
  auto r = make_table_reader(*impl_->config);
  if (!r.ok()) return r.error();
  impl_->reader = std::move(r.value());
  impl_->io = std::thread([i = impl_.get()] { i->io_loop(); });
  return {};
}

status lookup_client::close() {
  if (!impl_->io.joinable()) return {};
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_one();
  impl_->io.join();
  auto c = counters();
  std::string line = "nagare: " + impl_->task + " lookup " + impl_->reader->describe() + ": " +
                     std::to_string(c.hits) + " cache hits, " + std::to_string(c.misses) +
                     " misses, " + std::to_string(c.requests) + " round trips (" +
                     std::to_string(c.failures) + " failed), " + std::to_string(c.not_found) +
                     " keys not found; round trip p50 " + std::to_string(c.latency_p50_us) +
                     " us, p99 " + std::to_string(c.latency_p99_us) + " us, max " +
                     std::to_string(c.latency_max_us) + " us\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  return {};
}

void lookup_client::start(std::string key, async_result<lookup_value> done) {
  if (impl_->config->cache_entries > 0) {
    // The clock only matters to entries that expire.
    int64_t now = impl_->config->ttl_ms > 0 ? steady_ms() : 0;
    if (auto* v = impl_->cache.find(key, now)) {
      impl_->hits->inc();
      done.complete(lookup_value{std::move(key), *v, true});
      return;
    }
  }
  impl_->misses->inc();
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    first = impl_->queue.empty();
    impl_->queue.push_back({std::move(key), std::move(done)});
  }
  if (first) impl_->wake.notify_one();
}

void lookup_client::finished(const lookup_value& v) {
  if (v.cached || impl_->config->cache_entries == 0) return;
  if (!v.value && !impl_->config->cache_misses) return;
  impl_->cache.put(v.key, v.value, impl_->config->ttl_ms > 0 ? steady_ms() : 0);
  impl_->cache_entries->set(static_cast<double>(impl_->cache.size()));
}

lookup_counters lookup_client::counters() const {
  lookup_counters c;
  if (!impl_->hits) return c;  // not open
  c.hits = impl_->hits->value();
  c.misses = impl_->misses->value();
  c.requests = impl_->requests->value();
  c.failures = impl_->failures->value();
  c.not_found = impl_->not_found->value();
  c.latency_p50_us = impl_->latency.percentile(0.5);
  c.latency_p99_us = impl_->latency.percentile(0.99);
  c.latency_max_us = impl_->latency.max();
  return c;
}

void lookup_client::impl::io_loop() {
  std::vector<request> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      // Group commit: while the task is still pushing keys (a batch of
      // input), wait for them, so that they share one round trip.
      const auto until = std::chrono::steady_clock::now() + max_linger;
      for (size_t n = queue.size(); !stopping && n < config->round_trip_keys;) {
        wake.wait_for(lock, linger_step);
        if (queue.size() == n || std::chrono::steady_clock::now() >= until) break;
        n = queue.size();
      }
      if (stopping) return;  // the task is closing: its requests go with it
      batch.swap(queue);
    }
    round_trip(batch);
    batch.clear();
    if (backoff_ms > 0) {  // the table failed: wait before the next round trip
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait_for(lock, std::chrono::milliseconds(backoff_ms), [&] { return stopping; });
      if (stopping) return;
    }
  }
}

// One read for every distinct key of `batch`; each request completes with
// its key's answer or fails with the read's error (its operator retries).
void lookup_client::impl::round_trip(std::vector<request>& batch) {
  std::unordered_map<std::string, size_t> index;
  keys.clear();
  std::vector<size_t> slot(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto [it, added] = index.emplace(batch[i].key, keys.size());
    if (added) keys.push_back(batch[i].key);
    slot[i] = it->second;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto st = reader->read(keys, values, found);
  auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  requests->inc();
  latency.record(static_cast<uint64_t>(us));
  round_trip_seconds->observe(static_cast<double>(us) / 1e6);
  if (!st.ok()) {
    failures->inc();
    if (backoff_ms == 0)
      std::fprintf(stderr, "nagare: %s lookup %s failed: %s (retrying with backoff)\n",
                   task.c_str(), reader->describe().c_str(), st.message().c_str());
    backoff_ms = backoff_ms == 0 ? config->backoff_ms : std::min(2 * backoff_ms, max_backoff_ms);
    for (auto& r : batch) r.done.fail(st);
    return;
  }
  if (backoff_ms > 0) {
    std::fprintf(stderr, "nagare: %s lookup %s answers again\n", task.c_str(),
                 reader->describe().c_str());
    backoff_ms = 0;
  }
  for (size_t k = 0; k < keys.size(); ++k)
    if (!found[k]) not_found->inc();
  for (size_t i = 0; i < batch.size(); ++i) {
    auto k = slot[i];
    lookup_value v{std::move(batch[i].key), nullptr, false};
    if (found[k]) v.value = std::make_shared<const std::string>(values[k]);
    batch[i].done.complete(std::move(v));
  }
}

}  // namespace nagare::detail
