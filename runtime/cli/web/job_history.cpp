#include "job_history.hpp"

#include <algorithm>
#include <sstream>

#include "../shell/coordinator_client.hpp"
#include "metrics/metric_registry.hpp"

namespace nagare::cli::web {

job_history::job_history(caf::actor_system& sys, caf::actor coordinator,
                         std::shared_ptr<metric_registry> metrics,
                         std::chrono::milliseconds interval, size_t keep)
    : sys_(sys),
      coordinator_(std::move(coordinator)),
      metrics_(metrics ? std::make_unique<coordinator_metrics>(std::move(metrics)) : nullptr),
      interval_(interval),
      keep_(keep) {}

job_history::~job_history() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void job_history::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stopping_) {
      lock.unlock();
      sample_once();
      lock.lock();
      stop_cv_.wait_for(lock, interval_, [this] { return stopping_; });
    }
  });
}

void job_history::sample_once() {
  std::ostringstream notices;  // a local coordinator: nothing to notice
  shell::coordinator_client client(sys_, coordinator_, notices);
  const auto timeout = std::chrono::seconds(2);
  auto nodes = client.nodes(timeout);
  if (nodes.ok()) {
    double now = unix_now_s();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes.value()) {
      if (!n.usage.known) continue;
      auto& track = nodes_[n.name];
      if (track.t > 0 && now > track.t && n.usage.cpu_seconds >= track.cpu_seconds)
        track.ratio = (n.usage.cpu_seconds - track.cpu_seconds) / (now - track.t);
      track.cpu_seconds = n.usage.cpu_seconds;
      track.t = now;
    }
  }
  auto jobs = client.jobs(timeout);
  if (!jobs.ok()) return;
  if (metrics_ && nodes.ok()) metrics_->observe_cluster(nodes.value(), jobs.value());
  std::vector<uint64_t> running;
  for (const auto& j : jobs.value()) {
    if (j.state != job_state::running) continue;
    running.push_back(j.id);
    if (metrics_) {
      auto checkpoints = client.checkpoints(j.id, timeout);
      auto restarts = client.restarts(j.id, timeout);
      if (checkpoints.ok() && restarts.ok())
        metrics_->observe_job(j, checkpoints.value(), restarts.value());
    }
    bool has_graph;
    {
      std::lock_guard<std::mutex> lock(mu_);
      has_graph = jobs_[j.id].has_graph;
    }
    if (!has_graph) {
      auto g = client.graph(j.id, timeout);
      if (!g.ok()) continue;
      std::lock_guard<std::mutex> lock(mu_);
      jobs_[j.id].graph = std::move(g.value());
      jobs_[j.id].has_graph = true;
    }
    auto tasks = client.actors(j.id, timeout);
    if (!tasks.ok()) continue;
    double now = unix_now_s();
    std::lock_guard<std::mutex> lock(mu_);
    auto& track = jobs_[j.id];
    // The first reading counts from the tasks' start (their counts were zero
    // then); later ones from the reading before. A restart starts the tasks'
    // counters again: count from their start then too.
    bool restarted = false;
    for (size_t i = 0; i < tasks->size() && i < track.last.size(); ++i)
      if ((*tasks)[i].stats.records_in < track.last[i].stats.records_in) restarted = true;
    double since = track.last_t;
    if (since == 0 || restarted) {
      since = 0;
      for (const auto& t : tasks.value())
        if (t.stats.started_unix_s > 0)
          since = since == 0 ? t.stats.started_unix_s : std::min(since, t.stats.started_unix_s);
    }
    if (since > 0 && now > since) {
      track.samples.push_back(
          rates_between(track.graph, since == track.last_t ? track.last : std::vector<task_info>{},
                        tasks.value(), now - since, now));
      while (track.samples.size() > keep_) track.samples.pop_front();
    }
    track.last = std::move(tasks.value());
    track.last_t = now;
  }
  if (metrics_) metrics_->forget_except(running);
}

std::vector<job_sample> job_history::samples(uint64_t job) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(job);
  if (it == jobs_.end()) return {};
  return {it->second.samples.begin(), it->second.samples.end()};
}

std::optional<job_sample> job_history::latest(uint64_t job) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(job);
  if (it == jobs_.end() || it->second.samples.empty()) return std::nullopt;
  return it->second.samples.back();
}

std::optional<double> job_history::cpu_ratio(const std::string& node) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return std::nullopt;
  return it->second.ratio;
}

}  // namespace nagare::cli::web
