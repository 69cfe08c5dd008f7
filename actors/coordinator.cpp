// The coordinator's behavior: a list of named handlers (coordinator_state.hpp
// says which file holds each), its start and its shutdown.
#include "coordinator.hpp"

#include <algorithm>

#include "authz.hpp"
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

// The answer to a request `require` refused, in the handler's reply type.
template <class... Ts>
caf::typed_response_promise<status, Ts...> refused(coordinator_self self, status why) {
  auto rp = self->make_response_promise<status, Ts...>();
  rp.deliver(std::move(why), Ts{}...);
  return rp;
}

std::string job_text(const char* what, uint64_t id) {
  return std::string(what) + " job " + std::to_string(id);
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
  // Who may ask what: authz.hpp. Reads are open to every peer.
  return {
      // Nodes (node_registry.cpp).
      [=](register_atom, const caf::actor& node, uint32_t slots, const std::string& name,
          const std::string& address) -> caf::result<uint32_t> {
        if (auto no = require(self, action::join, "register node " + name); !no.ok())
          return caf::make_error(caf::sec::runtime_error, no.message());
        return on_register(self, st, node, slots, name, address);
      },
      [=](nodes_atom) { return on_nodes(self, st); },
      // Jobs (job_registry.cpp).
      [=](submit_atom, job_submission& job) {
        auto what = "submit job '" + job.name + "' (" + job.library_path + ", sha256 " +
                    job.library_hash.substr(0, 12) + ")";
        if (auto no = require(self, action::submit, what); !no.ok()) {
          auto rp = self->make_response_promise<uint64_t, status>();
          rp.deliver(uint64_t{0}, std::move(no));
          return rp;
        }
        return on_submit(self, st, job);
      },
      [=](wait_atom, uint64_t id) { return on_wait(self, st, id); },
      [=](job_done_atom, job_outcome& out, std::vector<restart_info>& restarts,
          std::vector<checkpoint_info>& checkpoints) {
        if (!require(self, action::internal, job_text("report the end of", out.job_id)).ok())
          return;
        on_job_done(st, out, std::move(restarts), std::move(checkpoints));
      },
      [=](reschedule_atom, uint64_t id) {
        if (auto no = require(self, action::internal, job_text("reschedule", id)); !no.ok())
          return std::make_tuple(std::move(no), slot_assignment{});
        return on_reschedule(st, id);
      },
      [=](progress_atom, uint64_t id, const job_progress& p) {
        if (require(self, action::internal, job_text("report progress of", id)).ok())
          on_progress(st, id, p);
      },
      [=](jobs_atom) { return on_jobs(st); },
      [=](graph_atom, uint64_t id) { return on_graph(st, id); },
      [=](fetch_atom, const std::string& hash) {
        if (auto no = require(self, action::join, "fetch job library " + hash.substr(0, 12));
            !no.ok())
          return std::make_tuple(std::move(no), std::string());
        return on_fetch(st, hash);
      },
      // Requests about a job, for its master (job_routing.cpp).
      [=](savepoints_atom) { return on_savepoints(self, st); },
      [=](checkpoints_atom, uint64_t id) { return on_checkpoints(self, st, id); },
      [=](checkpoint_atom, uint64_t id) {
        if (auto no = require(self, action::operate, job_text("checkpoint", id)); !no.ok())
          return refused<checkpoint_info>(self, std::move(no));
        return on_checkpoint(self, st, id);
      },
      [=](savepoint_atom, uint64_t id) {
        if (auto no = require(self, action::operate, job_text("savepoint", id)); !no.ok())
          return refused<std::string>(self, std::move(no));
        return on_savepoint(self, st, id);
      },
      [=](stop_atom, uint64_t id, uint8_t mode) {
        if (auto no = require(self, action::operate, job_text("stop", id)); !no.ok())
          return refused<std::string>(self, std::move(no));
        return on_stop(self, st, id, mode);
      },
      [=](restarts_atom, uint64_t id) { return on_restarts(self, st, id); },
      [=](kill_atom, const std::string& task_id) {
        if (auto no = require(self, action::operate, "kill task " + task_id); !no.ok())
          return refused<>(self, std::move(no));
        return on_kill(self, st, task_id);
      },
      [=](cancel_atom, uint64_t id) {
        if (auto no = require(self, action::operate, job_text("cancel", id)); !no.ok())
          return refused<>(self, std::move(no));
        return on_cancel(self, st, id);
      },
      [=](actors_atom, uint64_t id) { return on_actors(self, st, id); },
      [=](inspect_atom, const std::string& task_id) { return on_inspect(self, st, task_id); },
  };
}

}  // namespace nagare
