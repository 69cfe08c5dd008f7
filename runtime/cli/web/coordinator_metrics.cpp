#include "coordinator_metrics.hpp"

#include <algorithm>

namespace nagare::cli::web {

coordinator_metrics::coordinator_metrics(std::shared_ptr<metric_registry> registry)
    : registry_(std::move(registry)),
      cluster_(registry_->group({}, "nagare_cluster_")),
      nodes_(cluster_->gauge("nodes", "Nodes alive")),
      nodes_lost_(cluster_->gauge("nodes_lost", "Nodes lost")),
      slots_(cluster_->gauge("slots", "Task slots of the alive nodes")),
      slots_used_(cluster_->gauge("slots_used", "Task slots held by jobs")),
      jobs_running_(cluster_->gauge("jobs_running", "Jobs running")) {}

void coordinator_metrics::observe_cluster(const std::vector<node_info>& nodes,
                                          const std::vector<job_info>& jobs) {
  double alive = 0, lost = 0, slots = 0, used = 0, running = 0;
  for (const auto& n : nodes) {
    if (n.state != node_state::alive) {
      ++lost;
      continue;
    }
    ++alive;
    slots += n.slots_total;
    used += n.slots_used;
  }
  for (const auto& j : jobs) running += j.state == job_state::running ? 1 : 0;
  nodes_.set(alive);
  nodes_lost_.set(lost);
  slots_.set(slots);
  slots_used_.set(used);
  jobs_running_.set(running);
}

void coordinator_metrics::observe_job(const job_info& job,
                                      const std::vector<checkpoint_info>& checkpoints,
                                      const std::vector<restart_info>& restarts) {
  auto& m = jobs_[job.id];
  if (!m.group) {
    m.group =
        registry_->group({{"job", job.name}, {"job_id", std::to_string(job.id)}}, "nagare_job_");
    m.uptime = &m.group->gauge("uptime_seconds", "How long the job has been running, in seconds");
    m.restarts = &m.group->counter("restarts", "Restarts of the job after failures");
    m.completed = &m.group->counter("checkpoints_completed", "Checkpoints completed");
    m.failed = &m.group->counter("checkpoints_failed", "Checkpoints failed");
    m.last_duration = &m.group->gauge("last_checkpoint_duration_seconds",
                                      "Duration of the last completed checkpoint, in seconds");
    m.last_size = &m.group->gauge("last_checkpoint_size_bytes",
                                  "Size of the last completed checkpoint, in bytes");
    m.last_alignment = &m.group->gauge(
        "last_checkpoint_alignment_seconds",
        "Longest barrier alignment of any task in the last completed checkpoint, in seconds");
    m.durations = &m.group->histogram("checkpoint_duration_seconds",
                                      "Durations of completed checkpoints, in seconds",
                                      histogram::exponential(0.01, 2, 12));
  }
  m.uptime->set(job.uptime_s);
  if (restarts.size() > m.restarts->value()) m.restarts->inc(restarts.size() - m.restarts->value());
  // Each checkpoint is counted once, when it has an outcome (they may end
  // out of order).
  for (const auto& c : checkpoints) {
    if (c.status == checkpoint_status::in_progress || !m.counted.insert(c.id).second) continue;
    if (c.status == checkpoint_status::completed) {
      m.completed->inc();
      m.durations->observe(c.duration_ms / 1000.0);
    } else {
      m.failed->inc();
    }
  }
  // Ids older than the history the master keeps will not come again.
  if (!checkpoints.empty())
    m.counted.erase(m.counted.begin(), m.counted.lower_bound(checkpoints.front().id));
  // The newest completed one, counted now or before.
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    if (it->status != checkpoint_status::completed) continue;
    m.last_duration->set(it->duration_ms / 1000.0);
    m.last_size->set(static_cast<double>(it->bytes));
    m.last_alignment->set(it->alignment_ms / 1000.0);
    break;
  }
}

void coordinator_metrics::forget_except(const std::vector<uint64_t>& running) {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (std::find(running.begin(), running.end(), it->first) == running.end())
      it = jobs_.erase(it);
    else
      ++it;
  }
}

}  // namespace nagare::cli::web
