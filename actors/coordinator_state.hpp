// The coordinator's state and its handlers, by part of its books:
//   coordinator.cpp     the behavior (a list of named handlers), start and shutdown
//   node_registry.cpp   nodes: registering, liveness, slots
//   job_registry.cpp    jobs: submitting, job records, ending, resuming,
//                       rescheduling, listing
//   job_routing.cpp     requests about a running job, forwarded to its master
// Every handler runs on the coordinator's actor; `st` is its state.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "job_id_mark.hpp"
#include "job_record.hpp"
#include "messages.hpp"
#include "metadata_store.hpp"
#include "scheduler.hpp"

namespace nagare {

struct coordinator_state {
  using clock = std::chrono::steady_clock;

  struct node_entry {
    caf::actor handle;
    std::string name;
    std::string address;
    node_slots slots;
    clock::time_point since = clock::now();
    clock::time_point lost;  // when it was lost (uptime stops there)
  };

  struct job_entry {
    std::string name;
    uint32_t parallelism = 0;
    caf::actor master;
    std::vector<uint32_t> slot_nodes;  // node index of each slot the job holds
    job_state state = job_state::running;
    std::string reason;
    clock::time_point since = clock::now();
    job_outcome outcome;
    // Of an ended job (a running one's master has them).
    std::vector<restart_info> restarts;
    std::vector<checkpoint_info> checkpoints;
    std::vector<caf::response_promise> waiters;
    job_progress progress;  // its master's latest report (job_progress.cpp)
    bool ended() const { return state != job_state::running; }
  };

  std::shared_ptr<metadata_store> store;
  std::shared_ptr<job_id_mark> ids;  // null: ids are not recorded apart from the store
  caf::actor checkpoints;            // the checkpoint store actor
  std::vector<node_entry> nodes;
  std::map<uint64_t, job_entry> jobs;
  std::map<uint64_t, job_record> records;  // what the store holds, by job id
  uint64_t next_job_id = 1;
};

using coordinator_ptr = std::shared_ptr<coordinator_state>;
using coordinator_self = caf::event_based_actor*;

// node_registry.cpp
uint32_t on_register(coordinator_self self, const coordinator_ptr& st, const caf::actor& node,
                     uint32_t slots, const std::string& name, const std::string& address);
// A lost node fails every running job that has tasks on it.
void on_node_down(coordinator_self self, const coordinator_ptr& st, const caf::down_msg& m);
// Every node, with the resources of the alive ones (asked of them).
caf::typed_response_promise<std::vector<node_info>> on_nodes(coordinator_self self,
                                                             const coordinator_ptr& st);
// The slots of every node, as the scheduler takes them.
std::vector<node_slots> slots_of(const coordinator_state& st);
// Marks the slots as used and names their nodes for the job master.
slot_assignment take_slots(coordinator_state& st, const std::vector<uint32_t>& assigned);
void release_slots(coordinator_state& st, coordinator_state::job_entry& job);

// job_registry.cpp
caf::typed_response_promise<uint64_t, status> on_submit(coordinator_self self,
                                                        const coordinator_ptr& st,
                                                        job_submission& job);
caf::result<job_outcome> on_wait(coordinator_self self, const coordinator_ptr& st, uint64_t id);
// A job ended (its master's report, or its master's death).
// A running job's master reports its throughput and last checkpoint.
void on_progress(const coordinator_ptr& st, uint64_t id, const job_progress& p);
void on_job_done(const coordinator_ptr& st, job_outcome& out, std::vector<restart_info> restarts,
                 std::vector<checkpoint_info> checkpoints);
// Jobs of an earlier coordinator run (st->records, from coordinator_options):
// ended ones are listed as they ended; running ones resume from their latest
// complete checkpoint. Every record is written back.
void restore_jobs(coordinator_self self, const coordinator_ptr& st);
// New slots on live nodes for a job that restarts.
std::tuple<status, slot_assignment> on_reschedule(const coordinator_ptr& st, uint64_t id);
std::vector<job_info> on_jobs(const coordinator_ptr& st);
// The graph of job `id` as planned (any job the coordinator has a record of).
std::tuple<status, job_graph> on_graph(const coordinator_ptr& st, uint64_t id);
std::tuple<status, std::string> on_fetch(const coordinator_ptr& st, const std::string& hash);
// The job master of a running job, or why there is none.
std::pair<caf::actor, status> master_of(const coordinator_state& st, uint64_t id);

// job_routing.cpp
caf::typed_response_promise<status, std::vector<checkpoint_record>> on_savepoints(
    coordinator_self self, const coordinator_ptr& st);
caf::typed_response_promise<status, std::vector<checkpoint_info>> on_checkpoints(
    coordinator_self self, const coordinator_ptr& st, uint64_t id);
caf::typed_response_promise<status, checkpoint_info> on_checkpoint(coordinator_self self,
                                                                   const coordinator_ptr& st,
                                                                   uint64_t id);
caf::typed_response_promise<status, std::string> on_savepoint(coordinator_self self,
                                                              const coordinator_ptr& st,
                                                              uint64_t id);
caf::typed_response_promise<status, std::string> on_stop(coordinator_self self,
                                                         const coordinator_ptr& st, uint64_t id,
                                                         uint8_t mode);
caf::typed_response_promise<status, std::vector<restart_info>> on_restarts(
    coordinator_self self, const coordinator_ptr& st, uint64_t id);
caf::typed_response_promise<status> on_kill(coordinator_self self, const coordinator_ptr& st,
                                            const std::string& task_id);
caf::typed_response_promise<status> on_cancel(coordinator_self self, const coordinator_ptr& st,
                                              uint64_t id);
caf::typed_response_promise<status, std::vector<task_info>> on_actors(coordinator_self self,
                                                                      const coordinator_ptr& st,
                                                                      uint64_t id);
caf::typed_response_promise<status, task_info> on_inspect(coordinator_self self,
                                                          const coordinator_ptr& st,
                                                          const std::string& task_id);

}  // namespace nagare
