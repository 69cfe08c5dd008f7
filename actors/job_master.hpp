// The job master: one actor per running job. It deploys the job's tasks onto
// the nodes the coordinator assigned, wires their channels, starts them and
// follows them to the end: FINISHED when every task has finished, FAILED
// when one fails or dies. It reports the outcome to the coordinator.
//
// Lifecycle: deploying -> connecting -> running -> (finished | failed | canceled).
//
// Protocol, besides the tasks' reports:
//   (actors_atom)          -> (string error, vector<task_info>)   every task, in task order
//   (inspect_atom, uint32) -> (string error, task_info)           one task
//   (cancel_atom)          -> string error ("" when cancelled)
//   (node_lost_atom, string node)                                  fails the job
#pragma once

#include <cstdint>
#include <vector>

#include <caf/all.hpp>

#include "messages.hpp"
#include "plan.hpp"

namespace nagare {

struct job_master_setup {
  uint64_t job_id = 0;
  job_submission job;
  physical_plan plan;
  std::vector<caf::actor> slot_nodes;            // the node of each slot (subtask)
  std::vector<std::string> slot_node_names;      // their names, for the shell
  std::vector<std::string> slot_node_addresses;  // where their tasks are reached
  caf::actor coordinator;
};

caf::behavior job_master(caf::event_based_actor* self, job_master_setup setup);

}  // namespace nagare
