// The job master's behavior: a list of named handlers (job_master_state.hpp
// says which file holds each part), its start, the tasks' reports of their
// end, cancelling and stopping, and concluding the job.
#include "job_master.hpp"

#include <chrono>

#include "checkpoint_store.hpp"
#include "job_master_state.hpp"
#include "log.hpp"

namespace nagare {

namespace {

using clock = master_state::clock;

// How long the tasks of a stopped job may take, after its final checkpoint
// completed, to commit and close before the job ends without them.
constexpr auto stop_grace = std::chrono::seconds(30);

// A task's input ended: it waits for the final checkpoint, which starts
// once every task's has.
void on_ended(caf::event_based_actor* self, const master_ptr& st, uint32_t task,
              const task_stats& stats) {
  if (st->over || task_of(st, self->current_sender()->address(), task) < 0) return;
  if (st->ended[task]) return;
  st->ended[task] = true;
  ++st->ended_count;
  st->final_stats[task] = stats;
  auto& cc = *st->checkpoints;
  // A checkpoint in flight whose barrier can no longer reach it.
  if (cc.in_flight()) self->send(st->tasks[task], trigger_atom::value, cc.pending_id());
  cc.next();
}

// A task closed after the job's last checkpoint; the last one ends the job.
void on_finished(caf::event_based_actor* self, const master_ptr& st, uint32_t task,
                 const task_stats& stats) {
  if (st->over || task_of(st, self->current_sender()->address(), task) < 0) return;
  if (st->finished[task]) return;
  st->finished[task] = true;
  st->final_stats[task] = stats;
  if (st->vertex_of(task).is_source) st->source_records += stats.records_in;
  if (++st->finished_count == st->tasks.size()) conclude(self, st, st->checkpoints->ending(), "");
}

status on_cancel(caf::event_based_actor* self, const master_ptr& st) {
  conclude(self, st, job_state::canceled, "cancelled by request");
  return {};
}

// Stops the job: at once, or after a final checkpoint or savepoint whose
// completion commits the sinks and closes the tasks. The reply comes when
// the job has ended (conclude), or says why the checkpoint failed (the job
// then keeps running).
caf::typed_response_promise<status, std::string> on_stop(caf::event_based_actor* self,
                                                         const master_ptr& st, uint8_t mode) {
  auto rp = self->make_response_promise<status, std::string>();
  if (mode > static_cast<uint8_t>(stop_mode::savepoint)) {
    rp.deliver(status::invalid_argument("unknown stop mode " + std::to_string(mode)),
               std::string{});
    return rp;
  }
  if (mode == static_cast<uint8_t>(stop_mode::at_once)) {
    conclude(self, st, job_state::stopped, "stopped by request");
    rp.deliver(status{}, std::string{});
    return rp;
  }
  bool savepoint = mode == static_cast<uint8_t>(stop_mode::savepoint);
  auto job = st->setup.job_id;
  st->checkpoints->request(
      savepoint, true,
      [self, st, rp, job, savepoint](const status& e, const checkpoint_info& info) mutable {
        if (!e.ok() || st->over) {
          rp.deliver(
              e.ok() ? status(errc::unavailable, "job " + std::to_string(job) + " ended") : e,
              std::string{});
          return;
        }
        st->stop_replies.push_back({rp, savepoint ? savepoint_id(job, info.id) : ""});
        self->delayed_send(self, stop_grace, stop_atom::value);
      });
  return rp;
}

// The tasks of a stopped job did not all close within stop_grace.
void on_stop_grace(caf::event_based_actor* self, const master_ptr& st) {
  if (st->over) return;
  auto open = st->tasks.size() - st->finished_count;
  conclude(self, st, st->checkpoints->ending(),
           std::to_string(open) + " of " + std::to_string(st->tasks.size()) +
               " tasks did not close within " + std::to_string(stop_grace.count()) +
               " s of the final checkpoint");
}

std::shared_ptr<master_state> make_state(caf::event_based_actor* self, job_master_setup setup) {
  auto st = std::make_shared<master_state>();
  st->setup = std::move(setup);
  std::vector<checkpoint_coordinator::task_description> descriptions;
  for (const auto& v : st->setup.plan.vertices)
    for (uint32_t s = 0; s < v.parallelism; ++s) {
      st->task_refs.push_back({v.id, s});
      descriptions.push_back({v.name, s});
    }
  st->port = make_job_port(self, st.get());
  st->checkpoints = std::make_unique<checkpoint_coordinator>(st->setup.job_id, st->setup.job,
                                                             std::move(descriptions), *st->port);
  st->tasks.assign(st->task_refs.size(), nullptr);
  st->ended.assign(st->task_refs.size(), false);
  st->finished.assign(st->task_refs.size(), false);
  st->final_stats.assign(st->task_refs.size(), task_stats{});
  return st;
}

}  // namespace

void stop_tasks(caf::event_based_actor* self, const master_ptr& st) {
  // Not exit_reason::kill: it cannot be trapped and would take the tasks' node too.
  for (auto& t : st->tasks)
    if (t) self->send_exit(t, caf::exit_reason::user_shutdown);
  st->tasks.assign(st->tasks.size(), nullptr);
}

int task_of(const master_ptr& st, const caf::actor_addr& who, uint32_t claimed) {
  if (claimed < st->tasks.size() && st->tasks[claimed] && st->tasks[claimed].address() == who)
    return static_cast<int>(claimed);
  return -1;
}

void conclude(caf::event_based_actor* self, const master_ptr& st, job_state state,
              std::string reason) {
  if (st->over) return;
  st->over = true;
  stop_tasks(self, st);
  st->checkpoints->abandon(state,
                           status(errc::unavailable, "job " + std::to_string(st->setup.job_id) +
                                                         " is " + to_string(state)),
                           clock::now());
  if (!st->restarts.empty() && st->restarts.back().outcome == restart_outcome::restarting)
    st->restarts.back().outcome = restart_outcome::gave_up;
  job_outcome out;
  out.job_id = st->setup.job_id;
  out.state = state;
  out.reason = std::move(reason);
  out.seconds = std::chrono::duration<double>(clock::now() - st->started).count();
  out.source_records = st->source_records;
  for (const auto& stats : st->final_stats) {
    out.dead_letters += stats.dead_letters;
    out.late_records += stats.late_records;
  }
  NAGARE_LOG(info, st->log_name())
      << to_string(out.state) << (out.reason.empty() ? "" : ": " + out.reason);
  self->send(st->setup.coordinator, job_done_atom::value, out, st->restarts,
             st->checkpoints->history());
  // After job_done: the coordinator knows the job's end before the reply.
  bool clean = state == job_state::stopped || state == job_state::finished;
  for (auto& r : st->stop_replies)
    r.promise.deliver(
        clean ? status{}
              : status(errc::unavailable,
                       "job " + std::to_string(out.job_id) + " ended " + to_string(state) +
                           " after its final checkpoint" +
                           (r.savepoint.empty() ? "" : " (savepoint " + r.savepoint + ")") + ": " +
                           out.reason),
        r.savepoint);
  st->stop_replies.clear();
  self->quit();
}

caf::behavior job_master(caf::event_based_actor* self, job_master_setup setup) {
  auto st = make_state(self, std::move(setup));
  const auto& job = st->setup.job;
  auto policy = restart_policy::parse(job.restart_strategy, job.checkpoint_interval_ms > 0);
  if (policy.ok()) st->policy = policy.value();
  self->set_down_handler([self, st](caf::down_msg& m) { on_task_down(self, st, m); });
  // The state holds the tasks, which hold this actor: release on exit.
  self->attach_functor([st](const caf::error&) {
    st->tasks.clear();
    st->setup.slots = {};
    st->setup.coordinator = nullptr;
    st->setup.store = nullptr;
    st->checkpoints->forget_requests();
  });
  if (!policy.ok())
    self->send(self, failed_atom::value, uint32_t{0}, policy.error());
  else if (st->setup.resume || !st->setup.job.from_savepoint.empty())
    start_from_store(self, st);  // find where to start from in the store first
  else
    start_attempt(self, st);
  if (st->checkpoints->periodic())
    self->delayed_send(self, st->checkpoints->interval(), trigger_atom::value);
  start_progress(self, st);

  return {
      // Checkpoints (job_checkpoints.cpp).
      [=](trigger_atom) { on_checkpoint_tick(self, st); },
      [=](timeout_atom, uint64_t id) { on_checkpoint_timeout(st, id); },
      [=](ack_atom, uint32_t task, uint64_t id, const checkpoint_ack& ack) {
        on_ack(self, st, task, id, ack);
      },
      [=](decline_atom, uint32_t task, uint64_t id, const status& why) {
        on_decline(self, st, task, id, why);
      },
      [=](checkpoint_atom) { return on_checkpoint_request(self, st); },
      [=](savepoint_atom) { return on_savepoint_request(self, st, false); },
      [=](checkpoints_atom) { return std::make_tuple(status{}, st->checkpoints->history()); },
      // Split discovery (job_sources.cpp).
      [=](discover_atom, uint32_t attempt, uint32_t index) {
        on_discover(self, st, attempt, index);
      },
      // The tasks' reports and the job's end (here).
      [=](ended_atom, uint32_t task, const task_stats& stats) { on_ended(self, st, task, stats); },
      [=](finished_atom, uint32_t task, const task_stats& stats) {
        on_finished(self, st, task, stats);
      },
      [=](cancel_atom) { return on_cancel(self, st); },
      [=](stop_atom, uint8_t mode) { return on_stop(self, st, mode); },
      [=](stop_atom) { on_stop_grace(self, st); },
      // Failures and restarts (recovery.cpp).
      [=](failed_atom, uint32_t task, const status& why) { on_task_failed(self, st, task, why); },
      [=](restart_atom, uint32_t attempt, bool fresh) { on_restart(self, st, attempt, fresh); },
      [=](node_lost_atom, const std::string& node) { on_node_lost(self, st, node); },
      [=](restarts_atom) { return std::make_tuple(status{}, st->restarts); },
      // The shell's questions (task_queries.cpp).
      [=](kill_atom, uint32_t task) { return on_kill(self, st, task); },
      [=](actors_atom) { return on_actors(self, st); },
      [=](inspect_atom, uint32_t task) { return on_inspect(self, st, task); },
      // Throughput for `list` (job_progress.cpp).
      [=](progress_atom) { on_progress_tick(self, st); },
  };
}

}  // namespace nagare
