// The coordinator's own Prometheus metrics, from what the job history's
// sampler reads once a second: the cluster (nodes, slots, jobs by state) and
// per job its uptime, restarts and checkpoints (counts by outcome, the last
// one's duration, size and alignment, and a histogram of durations).
//
//   nagare_cluster_nodes, _nodes_lost, _slots, _slots_used, _jobs_running
//   nagare_job_uptime_seconds, nagare_job_restarts_total,
//   nagare_job_checkpoints_completed_total, _checkpoints_failed_total,
//   nagare_job_last_checkpoint_duration_seconds, _size_bytes,
//   _alignment_seconds, nagare_job_checkpoint_duration_seconds (histogram)
//
// Not thread-safe: the sampler's thread calls it; /metrics reads.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "messages.hpp"
#include "metrics/metric_registry.hpp"

namespace nagare::cli::web {

class coordinator_metrics {
 public:
  explicit coordinator_metrics(std::shared_ptr<metric_registry> registry);

  void observe_cluster(const std::vector<node_info>& nodes, const std::vector<job_info>& jobs);
  // One reading of a running job.
  void observe_job(const job_info& job, const std::vector<checkpoint_info>& checkpoints,
                   const std::vector<restart_info>& restarts);
  // Jobs not running any more leave the export.
  void forget_except(const std::vector<uint64_t>& running);

 private:
  struct job_metrics {
    std::shared_ptr<metric_group> group;
    gauge* uptime = nullptr;
    counter* restarts = nullptr;
    counter* completed = nullptr;
    counter* failed = nullptr;
    gauge* last_duration = nullptr;
    gauge* last_size = nullptr;
    gauge* last_alignment = nullptr;
    histogram* durations = nullptr;
    std::set<uint64_t> counted;  // checkpoints counted (of those the master still lists)
  };

  std::shared_ptr<metric_registry> registry_;
  std::shared_ptr<metric_group> cluster_;
  gauge &nodes_, &nodes_lost_, &slots_, &slots_used_, &jobs_running_;
  std::map<uint64_t, job_metrics> jobs_;
};

}  // namespace nagare::cli::web
