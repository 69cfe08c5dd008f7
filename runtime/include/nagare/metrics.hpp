// Metrics a job reports about itself: counters, gauges, histograms and
// meters, exported with the runtime's own metrics (Prometheus at /metrics on
// every node, the coordinator's REST API and dashboard).
//
// An operator registers its metrics once, in open(), from the metric group
// the runtime gives each operator of each subtask, and keeps the returned
// references for the per-record path:
//
//   struct parse_errors {
//     nagare::counter* skipped = nullptr;
//     void open(nagare::metric_group& m) {
//       skipped = &m.counter("skipped_records", "records without a user id");
//     }
//     bool operator()(const event& e) { if (e.user.empty()) skipped->inc(); ... }
//   };
//
// The group's labels scope every metric in it (job, task, operator,
// subtask, node), so a name needs to be unique only within its operator:
// "skipped_records" above is exported as
//   nagare_user_skipped_records_total{job="clicks",task="source -> filter",
//                                     operator="filter",subtask="0",...}
//
// Cost: updating a metric is a load and a store to memory no other thread
// writes (no lock, no allocation, no read-modify-write instruction): about
// as cheap as adding to a local variable. The price is a contract:
// REQUIRES: each metric is updated from one thread at a time (its subtask's;
// the runtime runs an operator on one thread). Any thread may read it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace nagare {

// A count that only grows: records skipped, bytes written.
class counter {
 public:
  void inc(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// A value that goes up and down: a queue length, a lag.
class gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) { set(value() + d); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// How a value is distributed: observations counted in buckets by upper
// bound, with their count and sum (Prometheus's histogram). Bounds are in
// the metric's unit (seconds for a latency) and fixed at registration.
class histogram {
 public:
  // REQUIRES: `upper_bounds` is sorted ascending (an implicit +Inf bucket
  // follows the last).
  explicit histogram(std::vector<double> upper_bounds);

  void observe(double v) {
    size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;  // few bounds: a scan
    auto& b = buckets_[i];
    b.store(b.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
  }

  struct snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;
    uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  // A reading from any thread; taken while observations go on, its count
  // and sum may be one observation apart.
  snapshot read() const;

  // Bounds from `start` growing by `factor`, `n` of them: exponential(0.001,
  // 2, 12) is 1 ms to about 2 s.
  static std::vector<double> exponential(double start, double factor, size_t n);

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Events and their rate: a counter whose per-second rate the runtime
// computes (over the last minute, refreshed every second) for the REST API
// and the dashboard; Prometheus gets the count and computes rates itself.
class meter {
 public:
  // How long the rate looks back.
  static constexpr int window_s = 60;

  void mark(uint64_t n = 1) { count_.inc(n); }
  uint64_t count() const { return count_.value(); }
  // Events per second over the last minute (or since the meter was
  // registered, if less), as of its last refresh; 0 before two refreshes.
  double rate() const { return rate_.value(); }

 private:
  friend class metric_group;
  // From the refreshing thread only.
  void refresh(double now_unix_s);
  counter count_;
  gauge rate_;
  // (time, count) samples a second apart, a ring over the window.
  std::pair<double, uint64_t> samples_[window_s + 1] = {};
  int next_ = 0, held_ = 0;
};

// What kind of metric a registered name holds.
enum class metric_kind : uint8_t { counter, gauge, histogram, meter };

// The metrics of one scope (an operator of a subtask, a task, a node),
// labelled alike. Registering is thread-safe and returns references that
// stay valid as long as the group (the runtime keeps an operator's group
// until its subtask ends, and exports it until then).
class metric_group {
 public:
  using labels = std::vector<std::pair<std::string, std::string>>;

  // `prefix` starts every metric's exported name ("nagare_user_" for a
  // job's own metrics).
  explicit metric_group(labels l = {}, std::string prefix = "nagare_user_");
  metric_group(const metric_group&) = delete;
  metric_group& operator=(const metric_group&) = delete;

  // Registers a metric, or returns the one registered under `name` before.
  // `name` is made a valid Prometheus name (characters other
  // than [a-zA-Z0-9_] become '_'); `help` is one line saying what it counts
  // and in which unit. A name already taken by another kind of metric gets
  // the kind appended ("x" then "x_gauge"), so registering never fails.
  // A counter's exported value is its count times `scale` (a counter of
  // nanoseconds exported in seconds has scale 1e-9).
  nagare::counter& counter(const std::string& name, const std::string& help, double scale = 1);
  nagare::gauge& gauge(const std::string& name, const std::string& help);
  nagare::histogram& histogram(const std::string& name, const std::string& help,
                               std::vector<double> upper_bounds);
  nagare::meter& meter(const std::string& name, const std::string& help);

  const labels& label_set() const { return labels_; }
  const std::string& prefix() const { return prefix_; }

  // A group with this one's labels, then `extra`, whose metrics are
  // exported under `prefix`: a connector's metrics beside its operator's
  // own ("nagare_kafka_" with a topic and partition). The first call makes
  // it, later calls with the same prefix and labels return it; it lives and
  // is exported as long as this group.
  metric_group& scope(const std::string& prefix, const labels& extra = {});
  // The scopes made so far (for exporters), in order.
  std::vector<std::shared_ptr<metric_group>> scopes() const;

  // One registered metric, for exporters (any thread; the pointers stay
  // valid as long as the group).
  struct entry {
    std::string name;  // without prefix or suffix
    std::string help;
    metric_kind kind;
    const void* metric;  // a nagare::counter, gauge, histogram or meter
    double scale = 1;    // counters: exported value = count * scale
  };
  std::vector<entry> entries() const;

  // Runs `f(now)` before every export and every second (the runtime's
  // metric refresher thread): for values that change with time alone, such
  // as how far a watermark lags behind the wall clock. REQUIRES: `f` writes
  // only metrics nothing else writes, and stays valid as long as the group.
  void on_refresh(std::function<void(double now_unix_s)> f);
  // Refreshes meters' rates and runs the on_refresh functions. Called by
  // the runtime, from one thread at a time.
  void refresh(double now_unix_s);

 private:
  template <class M, class... Args>
  M& add(metric_kind kind, const std::string& name, const std::string& help, Args&&... args);

  labels labels_;
  std::string prefix_;
  mutable std::mutex mu_;  // registration and entries(), never updates
  std::deque<nagare::counter> counters_;
  std::deque<nagare::gauge> gauges_;
  std::deque<nagare::histogram> histograms_;
  std::deque<nagare::meter> meters_;
  std::vector<entry> entries_;
  std::vector<std::function<void(double)>> refreshers_;
  std::vector<std::shared_ptr<metric_group>> scopes_;
};

}  // namespace nagare
