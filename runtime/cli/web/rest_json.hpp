// The REST API's documents (docs/operations.md, "REST API"): the
// coordinator's answers written as JSON. Pure functions, so that every
// field is tested without a cluster.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "job_history.hpp"
#include "messages.hpp"
#include "nagare/json.hpp"

namespace nagare::cli::web {

struct overview_facts {
  std::string version;
  double uptime_s = 0;
  bool actions_allowed = false;
};

std::string overview_json(const overview_facts& facts, const std::vector<node_info>& nodes,
                          const std::vector<job_info>& jobs);

// `cpu_ratio(name)` gives a node's CPU use (nullopt: unknown).
template <class CpuRatio>
std::string nodes_json(const std::vector<node_info>& nodes, CpuRatio cpu_ratio);
void write_node(json_writer& w, const node_info& n, std::optional<double> cpu_ratio);

std::string jobs_json(const std::vector<job_info>& jobs);

// A job with its graph, its tasks' figures (as `actors` reports them; empty
// for an ended job) and the latest rates (nullopt: not sampled yet).
struct job_view {
  job_info job;
  job_graph graph;
  std::vector<task_info> tasks;
  std::optional<job_sample> rates;
  size_t restarts = 0;
  bool restarting = false;
  double now_unix_s = 0;
};
std::string job_json(const job_view& v);

std::string history_json(const std::vector<job_sample>& samples, double interval_s);

std::string checkpoints_json(const std::vector<checkpoint_info>& history);
void write_checkpoint(json_writer& w, const checkpoint_info& c, bool with_tasks);

std::string restarts_json(const std::vector<restart_info>& restarts);

// Savepoints with their jobs' names where known.
std::string savepoints_json(const std::vector<checkpoint_record>& savepoints,
                            const std::vector<job_info>& jobs);

// Prometheus HTTP service discovery (http_sd_configs): the /metrics
// endpoint of the coordinator and of every alive node that has one.
std::string prometheus_targets_json(const std::string& coordinator_address,
                                    const std::vector<node_info>& nodes);

template <class CpuRatio>
std::string nodes_json(const std::vector<node_info>& nodes, CpuRatio cpu_ratio) {
  std::string out;
  json_writer w(out);
  w.begin_object().key("nodes").begin_array();
  for (const auto& n : nodes) write_node(w, n, cpu_ratio(n.name));
  w.end_array().end_object();
  return out;
}

}  // namespace nagare::cli::web
