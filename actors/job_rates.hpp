// A job's rates between two readings of its tasks (task_info, the shell's
// `actors`): records per second from the counts, busy and backpressured
// ratios from the tasks' time counters, watermark lag from the wall clock;
// per task, per vertex, and for the job as a whole (what its sources
// produce and its sinks take in).
//
// Used by the job master (the throughput `nagare list` shows), the
// coordinator's dashboard sampler (web/job_history.hpp) and `nagare run`'s
// progress line.
#pragma once

#include <optional>
#include <vector>

#include "messages.hpp"
#include "plan.hpp"

namespace nagare {

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
// (`before` may be empty or shorter: tasks new since count from zero; a
// count that went down, as after a restart, gives 0).
// Vertex v's tasks are the dense indices of the plan, vertex-major.
job_sample rates_between(const job_graph& graph, const std::vector<task_info>& before,
                         const std::vector<task_info>& now, double dt_s, double now_unix_s);

// A job's throughput in one sample: "in" is what its sources produce, "out"
// what its sinks (vertices with no output) take in; the watermark lag is
// the largest of its sinks', nullopt unless every sink has one.
struct job_throughput {
  double in_per_s = 0;
  double out_per_s = 0;
  std::optional<double> watermark_lag_ms;
};
job_throughput throughput_of(const job_graph& graph, const job_sample& sample);

// The graph of a plan: its vertices and its exchanges, named as Flink's
// REST API names them (HASH, REBALANCE, FORWARD).
job_graph graph_of(const physical_plan& p);

}  // namespace nagare
