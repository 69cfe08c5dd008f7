// What the dashboard charts: every running job's throughput, backpressure
// and watermark lag per vertex over the last minutes, and each node's CPU.
//
// A sampler thread asks the coordinator, once per interval, for every
// running job's tasks (the shell's `actors` query) and every node's usage,
// and turns consecutive readings into rates: records per second from the
// counts, busy and backpressured ratios from the tasks' time counters, CPU
// ratio from a node's CPU seconds. It keeps the last `keep` samples per job,
// and feeds the coordinator's own metrics (coordinator_metrics.hpp).
//
// Thread-safe: the sampler writes, REST handlers read.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "coordinator_metrics.hpp"
#include "messages.hpp"

namespace nagare::cli::web {

// Rates of one task (or of a vertex: summed rates, worst ratios and lag).
struct task_rates {
  double records_in_per_s = 0;
  double records_out_per_s = 0;
  double busy_ratio = 0;           // of the interval, 0..1
  double backpressured_ratio = 0;  // of the interval, 0..1
  double idle_ratio = 1;           // 1 - busy - backpressured, at least 0
  // Wall clock minus the watermark at the sample, in ms; nullopt: none yet
  // (or the input ended).
  std::optional<double> watermark_lag_ms;
};

struct job_sample {
  double t_unix_s = 0;
  std::vector<task_rates> vertices;  // by vertex id
  std::vector<task_rates> tasks;     // by dense task index
};

// The rates between two readings of a job's tasks `dt_s` seconds apart
// (`before` may be empty or shorter: tasks new since count from zero).
// Vertex v's tasks are the dense indices of the plan, vertex-major.
job_sample rates_between(const job_graph& graph, const std::vector<task_info>& before,
                         const std::vector<task_info>& now, double dt_s, double now_unix_s);

class job_history {
 public:
  // Samples every `interval`, keeping `keep` samples per job; publishes the
  // coordinator's metrics (coordinator_metrics.hpp) in `metrics` if not null.
  job_history(caf::actor_system& sys, caf::actor coordinator,
              std::shared_ptr<metric_registry> metrics = nullptr,
              std::chrono::milliseconds interval = std::chrono::seconds(1), size_t keep = 300);
  ~job_history();  // stops the sampler
  job_history(const job_history&) = delete;
  job_history& operator=(const job_history&) = delete;

  void start();
  std::chrono::milliseconds interval() const { return interval_; }

  // Oldest first; empty for a job never sampled.
  std::vector<job_sample> samples(uint64_t job) const;
  std::optional<job_sample> latest(uint64_t job) const;
  // A node's CPU use over the last interval (1.0: one core busy).
  std::optional<double> cpu_ratio(const std::string& node) const;

 private:
  void sample_once();

  caf::actor_system& sys_;
  caf::actor coordinator_;
  std::unique_ptr<coordinator_metrics> metrics_;  // the sampler's thread only
  std::chrono::milliseconds interval_;
  size_t keep_;

  struct job_track {
    job_graph graph;
    bool has_graph = false;
    std::vector<task_info> last;
    double last_t = 0;
    std::deque<job_sample> samples;
  };
  struct node_track {
    double cpu_seconds = 0, t = 0;
    std::optional<double> ratio;
  };
  mutable std::mutex mu_;
  std::map<uint64_t, job_track> jobs_;
  std::map<std::string, node_track> nodes_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace nagare::cli::web
