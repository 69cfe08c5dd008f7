// The coordinator: the cluster's registry of nodes and jobs. It accepts
// submissions, stores job libraries and job records (metadata_store.hpp),
// assigns slots (scheduler.hpp), hands each job to its own job master
// (job_master.hpp) and answers `wait` when the job ends. Executing a job is
// the job master's; the coordinator keeps the books and routes queries.
//
// Protocol (request -> reply):
//   (register_atom, actor node, uint32 slots, string name, string address) -> uint32 node id
//   (submit_atom, job_submission)  -> (uint64 job id, status)
//   (wait_atom, uint64 job id)     -> job_outcome, when the job has ended
//   (cancel_atom, uint64 job id)   -> status (ok when cancelled)
//   (fetch_atom, string hash)      -> (status, string library bytes)
//   (nodes_atom)                   -> vector<node_info>
//   (jobs_atom)                    -> vector<job_info>
//   (actors_atom, uint64 job id)   -> (status, vector<task_info>)
//   (inspect_atom, string "J.T")   -> (status, task_info)
//   (checkpoints_atom, uint64 job) -> (status, vector<checkpoint_info>)  oldest first
//   (checkpoint_atom, uint64 job)  -> (status, checkpoint_info)  once it completed or failed
//   (savepoint_atom, uint64 job)   -> (status, string savepoint id "JOB-CHECKPOINT")
//   (stop_atom, uint64 job, uint8 stop_mode) -> (status, string savepoint id), once the job
//                                  has ended (its sinks committed the final checkpoint)
//   (kill_atom, string "J.T")      -> status   the task dies as if it crashed
//   (restarts_atom, uint64 job)    -> (status, vector<restart_info>)
//   (savepoints_atom)              -> (status, vector<checkpoint_record>)  every savepoint
// From job masters:
//   (reschedule_atom, uint64 job)  -> (status, slot_assignment)  slots on live nodes
//   (job_done_atom, job_outcome, vector<restart_info>, vector<checkpoint_info>)
// `checkpoints` and `restarts` of an ended job answer what its master reported last.
// A failure is a status with its code (not_found: no such job, or it ended;
// invalid_argument: a malformed actor id) and a message a user can act on.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "checkpoint_store.hpp"
#include "job_id_mark.hpp"
#include "job_record.hpp"
#include "metadata_store.hpp"

namespace nagare {

struct coordinator_options {
  std::shared_ptr<metadata_store> store;  // null: a fresh one in memory (embedded mode)
  // Where checkpoints are kept (null: in memory); the coordinator serves it
  // to tasks and job masters through a checkpoint_store_actor.
  std::shared_ptr<checkpoint_store> checkpoints;
  // The books of an earlier run, read and checked before the start
  // (coordinator_books.hpp): ended jobs are listed, running ones resume.
  std::map<uint64_t, job_record> records;
  uint64_t next_job_id = 1;
  // Raised before a job id is handed out (null: ids are not recorded apart).
  std::shared_ptr<job_id_mark> ids;
};

caf::behavior coordinator_actor(caf::event_based_actor* self, coordinator_options opts);

}  // namespace nagare
