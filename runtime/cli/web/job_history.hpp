// What the dashboard charts: every running job's throughput, backpressure
// and watermark lag per vertex over the last minutes, and each node's CPU.
//
// A sampler thread asks the coordinator, once per interval, for every
// running job's tasks (the shell's `actors` query) and every node's usage,
// and turns consecutive readings into rates (job_rates.hpp) and a node's
// CPU ratio from its CPU seconds. It keeps the last `keep` samples per job,
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
#include "job_rates.hpp"
#include "messages.hpp"

namespace nagare::cli::web {

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
