// The job master: one actor per job. It runs the job in attempts: deploys
// its tasks onto the nodes the coordinator assigned, restores their state,
// wires their channels, starts them, and drives the job's checkpoints
// (checkpoint_coordinator.hpp). When a task fails or dies, or its node is
// lost, it stops the attempt's tasks and, as the restart policy allows,
// starts a new attempt on the nodes still alive from the latest complete
// checkpoint (restart_policy.hpp). It reports the outcome to the coordinator.
//
// Lifecycle: (deploying -> running -> [restarting -> deploying ...]) ->
//            (FINISHED | FAILED | CANCELED | STOPPED).
// A job whose input has ended everywhere takes a final checkpoint; its
// completion commits the sinks' last output, and the job is FINISHED.
//
// Protocol, besides the tasks' reports:
//   (actors_atom)                 -> (status, vector<task_info>)  every task, in task order
//   (inspect_atom, uint32)        -> (status, task_info)          one task
//   (cancel_atom)                 -> status (ok when cancelled)
//   (checkpoints_atom)            -> (status, vector<checkpoint_info>)  oldest first
//   (checkpoint_atom)             -> (status, checkpoint_info)  when it completed or failed
//   (savepoint_atom)              -> (status, string savepoint id)
//   (stop_atom, uint8 stop_mode)  -> (status, string savepoint id)  once the job has ended:
//                                    after a final checkpoint (or savepoint) its sinks
//                                    commit and its tasks close, or after stop_grace
//   (kill_atom, uint32 task)      -> status   the task dies as if it crashed
//   (restarts_atom)               -> (status, vector<restart_info>)
//   (node_lost_atom, string node)  a node of the job was lost
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "messages.hpp"
#include "plan.hpp"

namespace nagare {

struct job_master_setup {
  uint64_t job_id = 0;
  job_submission job;
  physical_plan plan;
  slot_assignment slots;  // of the first attempt; empty: ask the coordinator
  caf::actor coordinator;
  caf::actor store;  // the checkpoint store actor
  // The coordinator restarted while the job ran: resume it from its latest
  // complete checkpoint rather than start it.
  bool resume = false;
};

caf::behavior job_master(caf::event_based_actor* self, job_master_setup setup);

// Every split enumerator of the plan can be built (its kind exists, its
// config is readable): checked when a job is submitted. The first error
// otherwise, naming the source (job_sources.cpp).
status check_enumerators(const physical_plan& plan);

}  // namespace nagare
