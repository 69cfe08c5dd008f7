// What the admin shell prints for the coordinator's answers: aligned tables
// (table.hpp), one row per node, job, task actor, checkpoint or restart, and
// one actor or checkpoint in full. Pure functions of the answers (times are
// shown in the local time zone, TZ), so they can be tested without a cluster.
#pragma once

#include <string>
#include <vector>

#include "messages.hpp"

namespace nagare::cli::shell {

// ID NAME ADDRESS SLOTS (used/total) STATE UPTIME
std::string render_nodes(const std::vector<node_info>& nodes);
// ID NAME STATE PARALLELISM UPTIME IN OUT (records per second: what the
// sources produce, what the sinks take in) CHECKPOINT (the newest completed
// and its age at `now_unix_s`) REASON
std::string render_jobs(const std::vector<job_info>& jobs, double now_unix_s);
// ID CHAIN SUBTASK NODE STATE RECORDS IN/OUT QUEUED (batches)
std::string render_actors(const std::vector<task_info>& tasks);
// Every field of one task actor, then its output channels (credits) and
// input channels (queued batches).
std::string render_task(const task_info& task);

// ID KIND STATUS STARTED DURATION SIZE ALIGNMENT REASON, oldest first as given.
std::string render_checkpoints(const std::vector<checkpoint_info>& checkpoints);
// Every field of one checkpoint of job `job`, then one row per task: TASK
// (JOB.TASK, as `actors` names it) CHAIN SUBTASK ACKED SIZE ALIGNMENT DURATION.
std::string render_checkpoint(uint64_t job, const checkpoint_info& checkpoint);
// One line for a checkpoint triggered by hand, e.g.
// "checkpoint 18 of job 3 COMPLETED in 12 ms, 1.5 KiB" or
// "checkpoint 19 of job 3 FAILED after 60000 ms: REASON".
std::string render_checkpoint_result(uint64_t job, const checkpoint_info& checkpoint);
// ATTEMPT WHEN CHECKPOINT DOWNTIME OUTCOME REASON, one row per restart.
std::string render_restarts(const std::vector<restart_info>& restarts);
std::string render_savepoints(const std::vector<checkpoint_record>& savepoints);

}  // namespace nagare::cli::shell
