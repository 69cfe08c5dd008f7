// The coordinator's behavior: a list of named handlers (coordinator_state.hpp
// says which file holds each), its start and its shutdown.
#include "coordinator.hpp"

#include <algorithm>

#include "checkpoint_store_actor.hpp"
#include "coordinator_state.hpp"
#include "log.hpp"

namespace nagare {

namespace {

// Job masters are linked; their normal exit is expected, anything else is
// reported to the waiters as a failure of that job.
void on_exit(coordinator_self self, const coordinator_ptr& st, const caf::exit_msg& m) {
  if (!m.reason) return;  // a job master that concluded
  for (auto& [id, job] : st->jobs) {
    if (job.ended() || job.master.address() != m.source) continue;
    job_outcome out{id, job_state::failed, "job master stopped: " + to_string(m.reason), 0, 0};
    on_job_done(st, out, {}, {});
    return;
  }
  self->quit(m.reason);
}

}  // namespace

caf::behavior coordinator_actor(caf::event_based_actor* self, coordinator_options opts) {
  auto st = std::make_shared<coordinator_state>();
  st->store = opts.store;
  if (!st->store) st->store = std::move(metadata_store::open("").value());
  st->ids = opts.ids;
  st->records = std::move(opts.records);
  st->next_job_id = std::max(st->next_job_id, opts.next_job_id);
  auto checkpoints = opts.checkpoints;
  if (!checkpoints) checkpoints = std::move(checkpoint_store::open("").value());
  st->checkpoints = spawn_checkpoint_store(self->system(), std::move(checkpoints));
  restore_jobs(self, st);
  self->set_exit_handler([=](caf::exit_msg& m) { on_exit(self, st, m); });
  self->set_down_handler([=](caf::down_msg& m) { on_node_down(self, st, m); });
  self->attach_functor([st](const caf::error&) {
    caf::anon_send_exit(st->checkpoints, caf::exit_reason::user_shutdown);
    st->checkpoints = nullptr;
    st->nodes.clear();
    st->jobs.clear();
  });
  return {
      // Nodes (node_registry.cpp).
      [=](register_atom, const caf::actor& node, uint32_t slots, const std::string& name,
          const std::string& address) { return on_register(self, st, node, slots, name, address); },
      [=](nodes_atom) { return on_nodes(self, st); },
      // Jobs (job_registry.cpp).
      [=](submit_atom, job_submission& job) { return on_submit(self, st, job); },
      [=](wait_atom, uint64_t id) { return on_wait(self, st, id); },
      [=](job_done_atom, job_outcome& out, std::vector<restart_info>& restarts,
          std::vector<checkpoint_info>& checkpoints) {
        on_job_done(st, out, std::move(restarts), std::move(checkpoints));
      },
      [=](reschedule_atom, uint64_t id) { return on_reschedule(st, id); },
      [=](progress_atom, uint64_t id, const job_progress& p) { on_progress(st, id, p); },
      [=](jobs_atom) { return on_jobs(st); },
      [=](graph_atom, uint64_t id) { return on_graph(st, id); },
      [=](fetch_atom, const std::string& hash) { return on_fetch(st, hash); },
      // Requests about a job, for its master (job_routing.cpp).
      [=](savepoints_atom) { return on_savepoints(self, st); },
      [=](checkpoints_atom, uint64_t id) { return on_checkpoints(self, st, id); },
      [=](checkpoint_atom, uint64_t id) { return on_checkpoint(self, st, id); },
      [=](savepoint_atom, uint64_t id) { return on_savepoint(self, st, id); },
      [=](stop_atom, uint64_t id, uint8_t mode) { return on_stop(self, st, id, mode); },
      [=](restarts_atom, uint64_t id) { return on_restarts(self, st, id); },
      [=](kill_atom, const std::string& task_id) { return on_kill(self, st, task_id); },
      [=](cancel_atom, uint64_t id) { return on_cancel(self, st, id); },
      [=](actors_atom, uint64_t id) { return on_actors(self, st, id); },
      [=](inspect_atom, const std::string& task_id) { return on_inspect(self, st, task_id); },
  };
}

}  // namespace nagare
