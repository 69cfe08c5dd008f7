// The coordinator: the cluster's registry of nodes and jobs. It accepts
// submissions, stores job libraries and job records (metadata_store.hpp),
// assigns slots (scheduler.hpp), hands each job to its own job master
// (job_master.hpp) and answers `wait` when the job ends. Executing a job is
// the job master's; the coordinator keeps the books and routes queries.
//
// Protocol (request -> reply):
//   (register_atom, actor node, uint32 slots, string name, string address) -> uint32 node id
//   (submit_atom, job_submission)  -> (uint64 job id, string error)
//   (wait_atom, uint64 job id)     -> job_outcome, when the job has ended
//   (cancel_atom, uint64 job id)   -> string error ("" when cancelled)
//   (fetch_atom, string hash)      -> (string error, string library bytes)
//   (nodes_atom)                   -> vector<node_info>
//   (jobs_atom)                    -> vector<job_info>
//   (actors_atom, uint64 job id)   -> (string error, vector<task_info>)
//   (inspect_atom, string "J.T")   -> (string error, task_info)
#pragma once

#include <memory>
#include <string>

#include <caf/all.hpp>

#include "metadata_store.hpp"

namespace nagare {

struct coordinator_options {
  std::shared_ptr<metadata_store> store;  // null: a fresh one in memory (embedded mode)
};

caf::behavior coordinator_actor(caf::event_based_actor* self, coordinator_options opts);

}  // namespace nagare
