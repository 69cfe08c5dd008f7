// The job master's state, shared by its parts: job_master.cpp (lifecycle,
// failures and restarts, checkpoints), deployment.cpp (one attempt's
// deployment) and task_queries.cpp (what the shell asks).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "checkpoint_coordinator.hpp"
#include "job_master.hpp"
#include "restart_policy.hpp"

namespace nagare {

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
  clock::time_point failed_at;
  restart_policy policy;
  std::vector<restart_info> restarts;
  std::unique_ptr<checkpoint_coordinator> checkpoints;
  // Requests waiting for a checkpoint: (id, deliver(error, info)).
  struct waiter {
    uint64_t id = 0;
    std::function<void(const std::string&, const checkpoint_info&)> deliver;
  };
  std::vector<waiter> waiters;
  // Checkpoint requests that wait for the one in flight to end.
  struct request {
    bool savepoint = false;
    bool stop = false;
    std::function<void(const std::string&, const checkpoint_info&)> deliver;
  };
  std::deque<request> queued;
  bool stopping = false;  // the in-flight savepoint stops the job
  std::string end_state = "FINISHED";
  bool over = false;

  std::string log_name() const { return "job " + std::to_string(setup.job_id); }
  const vertex& vertex_of(uint32_t task) const {
    return setup.plan.vertices[task_refs[task].vertex];
  }
};

using master_ptr = std::shared_ptr<master_state>;

// deployment.cpp: deploys, restores, wires and starts the tasks of the
// current attempt; calls `running` when all run, `failed` with a reason
// otherwise (`restore_failed`: a task could not restore its state).
void deploy_attempt(caf::event_based_actor* self, const master_ptr& st,
                    std::function<void()> running,
                    std::function<void(const std::string&, bool restore_failed)> failed);

// task_queries.cpp: what the master knows of a task without asking it, and
// the tasks' own answers collected into one reply.
task_info describe_task(const master_state& st, uint32_t index);
void query_tasks(caf::event_based_actor* self, const master_ptr& st, std::vector<uint32_t> indices,
                 std::function<void(std::vector<task_info>&)> deliver);

}  // namespace nagare
