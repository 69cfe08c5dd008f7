// The coordinator: the cluster's registry of nodes and jobs. It accepts
// submissions, assigns slots (scheduler.hpp), hands each job to its own job
// master (job_master.hpp) and answers `wait` when the job ends. Execution of
// a job is the job master's; the coordinator only keeps the books.
//
// Protocol (request -> reply):
//   (register_atom, actor node, uint32 slots, string name) -> uint32 node id
//   (submit_atom, job_submission)  -> (uint64 job id, string error)
//   (wait_atom, uint64 job id)     -> job_outcome, when the job has ended
//   (nodes_atom)                   -> uint32 live nodes
#pragma once

#include <caf/all.hpp>

namespace nagare {

caf::behavior coordinator_actor(caf::event_based_actor* self);

}  // namespace nagare
