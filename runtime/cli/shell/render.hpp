// What the admin shell prints for the coordinator's answers: aligned tables
// (table.hpp), one row per node, job or task actor, and one actor in full.
// Pure functions of the answers, so they can be tested without a cluster.
#pragma once

#include <string>
#include <vector>

#include "messages.hpp"

namespace nagare::cli::shell {

// ID NAME ADDRESS SLOTS (used/total) STATE UPTIME
std::string render_nodes(const std::vector<node_info>& nodes);
// ID NAME STATE PARALLELISM UPTIME REASON
std::string render_jobs(const std::vector<job_info>& jobs);
// ID CHAIN SUBTASK NODE STATE RECORDS IN/OUT QUEUED (batches)
std::string render_actors(const std::vector<task_info>& tasks);
// Every field of one task actor, then its output channels (credits) and
// input channels (queued batches).
std::string render_task(const task_info& task);

}  // namespace nagare::cli::shell
