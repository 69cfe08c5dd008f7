// The job master's state and its handlers, one file per part of its life:
//   job_master.cpp      the behavior (a list of named handlers), start, the
//                       tasks' reports, cancel/stop, and concluding the job
//   deployment.cpp      one attempt's deployment
//   job_checkpoints.cpp checkpoints: the job_port of the checkpoint
//                       coordinator (which orchestrates them) and the requests
//   recovery.cpp        from a failure to running again (or giving up)
//   job_sources.cpp     split enumerators: discovery and split assignment
//   task_queries.cpp    what the shell asks of the tasks
// Every handler runs on the job master's actor; `st` is its state.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "checkpoint_coordinator.hpp"
#include "job_master.hpp"
#include "restart_policy.hpp"
#include "source/split_assigner.hpp"
#include "source/split_enumerator.hpp"

namespace nagare {

// A source vertex on the split contract in the current attempt: its
// enumerator (restored from the attempt's checkpoint) and the assigner that
// deals its splits to the vertex's subtasks.
struct source_enumeration {
  uint32_t vertex = 0;
  std::unique_ptr<split_enumerator> enumerator;
  split_assigner assigner{1};
  bool started = false;   // the first splits were sent
  bool finished = false;  // no_more sent: no discovery any more
};

struct master_state {
  using clock = std::chrono::steady_clock;
  enum class phase { deploying, running, restarting };

  job_master_setup setup;
  std::vector<task_ref> task_refs;  // by task index
  // The current attempt.
  uint32_t attempt = 0;
  phase now = phase::deploying;
  restore_spec restore;           // where the attempt's state came from
  restore_spec initial_restore;   // of the first attempt (a savepoint, or nothing)
  std::vector<caf::actor> tasks;  // by task index
  std::vector<bool> ended;        // the task's input ended
  std::vector<bool> finished;     // the task closed after the last checkpoint
  std::vector<task_stats> final_stats;
  size_t ended_count = 0;
  size_t finished_count = 0;
  size_t pending_replies = 0;
  // Over all attempts.
  uint64_t source_records = 0;
  clock::time_point started = clock::now();
  clock::time_point failed_at;    // the failure the job is down since
  clock::time_point slots_since;  // restart() began asking for slots
  restart_policy policy;
  std::vector<restart_info> restarts;
  std::unique_ptr<job_port> port;  // the checkpoint coordinator's view of the job
  std::unique_ptr<checkpoint_coordinator> checkpoints;
  // Split enumerators of the current attempt (job_sources.cpp), and their
  // snapshots taken when checkpoint `sources_checkpoint` was triggered.
  std::vector<source_enumeration> sources;
  uint64_t sources_checkpoint = 0;
  std::vector<stored_source> source_snapshots;
  // Replies to `stop` whose final checkpoint (or savepoint: its id) is
  // complete; answered when the job has ended (conclude), so that a stopped
  // job's sinks have committed before anyone hears of it.
  struct stop_reply {
    caf::typed_response_promise<status, std::string> promise;
    std::string savepoint;
  };
  std::vector<stop_reply> stop_replies;
  bool over = false;
  // Throughput for `list` (job_progress.cpp): the plan's graph, the last
  // reading of the tasks and when it was taken, and what it gave.
  job_graph graph;
  std::vector<task_info> last_reading;
  double last_reading_unix_s = 0;
  job_progress progress;

  std::string log_name() const { return "job " + std::to_string(setup.job_id); }
  const vertex& vertex_of(uint32_t task) const {
    return setup.plan.vertices[task_refs[task].vertex];
  }
};

using master_ptr = std::shared_ptr<master_state>;

// job_master.cpp: ends the job as `state` (once): stops the tasks, answers
// the checkpoint waiters and reports to the coordinator.
void conclude(caf::event_based_actor* self, const master_ptr& st, job_state state,
              std::string reason);
// Stops every task of the current attempt.
void stop_tasks(caf::event_based_actor* self, const master_ptr& st);
// Index of the current task `who` is (claiming to be `claimed`), or -1.
int task_of(const master_ptr& st, const caf::actor_addr& who, uint32_t claimed);

// deployment.cpp: deploys, restores, wires and starts the tasks of the
// current attempt; calls `running` when all run, `failed` otherwise with the
// status and, for a restore that found damage (errc::corruption), the snapshot.
void deploy_attempt(caf::event_based_actor* self, const master_ptr& st,
                    std::function<void()> running,
                    std::function<void(const status&, const damaged_snapshot&)> failed);

// job_sources.cpp (check_enumerators: job_master.hpp).
// Builds the attempt's enumerators (restored from st->restore), discovers,
// and sends every source task its splits; call right before the tasks'
// start messages. Schedules the periodic discovery. An error (an enumerator
// that cannot be built or restored) fails the attempt.
status start_sources(caf::event_based_actor* self, const master_ptr& st);
// The discovery timer of source `index` of attempt `attempt`.
void on_discover(caf::event_based_actor* self, const master_ptr& st, uint32_t attempt,
                 uint32_t index);
// Every enumerator's snapshot, for the checkpoint being triggered.
std::vector<stored_source> snapshot_sources(const master_state& st);

// job_checkpoints.cpp: the job_port the checkpoint coordinator calls, and
// the requests for checkpoints.
std::unique_ptr<job_port> make_job_port(caf::event_based_actor* self, master_state* st);
void on_checkpoint_tick(caf::event_based_actor* self, const master_ptr& st);
void on_checkpoint_timeout(const master_ptr& st, uint64_t id);
void on_ack(caf::event_based_actor* self, const master_ptr& st, uint32_t task, uint64_t id,
            const checkpoint_ack& ack);
void on_decline(caf::event_based_actor* self, const master_ptr& st, uint32_t task, uint64_t id,
                const status& why);
caf::typed_response_promise<status, checkpoint_info> on_checkpoint_request(
    caf::event_based_actor* self, const master_ptr& st);
caf::typed_response_promise<status, std::string> on_savepoint_request(caf::event_based_actor* self,
                                                                      const master_ptr& st,
                                                                      bool stop);

// recovery.cpp: the first attempt, failures and restarts.
void start_attempt(caf::event_based_actor* self, const master_ptr& st);
void start_from_store(caf::event_based_actor* self, const master_ptr& st);
void on_task_down(caf::event_based_actor* self, const master_ptr& st, const caf::down_msg& m);
void on_task_failed(caf::event_based_actor* self, const master_ptr& st, uint32_t task,
                    const status& why);
void on_node_lost(caf::event_based_actor* self, const master_ptr& st, const std::string& node);
void on_restart(caf::event_based_actor* self, const master_ptr& st, uint32_t attempt, bool fresh);

// job_progress.cpp: every second, the job's throughput and last checkpoint
// to the coordinator (for `list`).
void start_progress(caf::event_based_actor* self, const master_ptr& st);
void on_progress_tick(caf::event_based_actor* self, const master_ptr& st);

// task_queries.cpp: what the master knows of a task without asking it, and
// the tasks' own answers collected into one reply.
task_info describe_task(const master_state& st, uint32_t index);
void query_tasks(caf::event_based_actor* self, const master_ptr& st, std::vector<uint32_t> indices,
                 std::function<void(std::vector<task_info>&)> deliver);
caf::typed_response_promise<status, std::vector<task_info>> on_actors(caf::event_based_actor* self,
                                                                      const master_ptr& st);
caf::typed_response_promise<status, task_info> on_inspect(caf::event_based_actor* self,
                                                          const master_ptr& st, uint32_t task);
status on_kill(caf::event_based_actor* self, const master_ptr& st, uint32_t task);

}  // namespace nagare
