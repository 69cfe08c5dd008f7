// Recovery, from a failure to running again: a task fails (its code threw,
// on_task_failed), dies or loses its node (on_task_down, on_node_lost), or
// an attempt cannot be deployed or restored (start_attempt's failure).
// on_failure then stops the attempt's tasks, fails the checkpoint in
// flight, and asks the restart policy: give up (the job is FAILED) or
// restart after a delay (on_restart). restart() picks the checkpoint to
// restore (restore_point: the newest complete one not known to be damaged),
// reschedule() asks the coordinator for slots on live nodes, and
// start_attempt() deploys the new attempt (deployment.cpp). A restore that
// found a damaged snapshot marks what that spoils (note_restore_failure), so
// the next attempt falls back to an older checkpoint. running() records how
// long the job was down.
//
// A job resumed by a restarted coordinator, or started from a savepoint,
// begins here too (start_from_store): its first attempt restores.
#include "recovery.hpp"

#include <algorithm>
#include <chrono>

#include "checkpoint_store.hpp"
#include "job_master_state.hpp"
#include "log.hpp"

namespace nagare {

namespace {

using clock = master_state::clock;
using phase = master_state::phase;
constexpr auto store_timeout = std::chrono::seconds(60);
constexpr auto slot_retry = std::chrono::milliseconds(250);
constexpr auto slot_patience = std::chrono::seconds(60);

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

restore_spec spec_of(const checkpoint_record& r) {
  return restore_spec{r.job_id, r.id, r.tasks, r.sources};
}

void on_failure(caf::event_based_actor* self, const master_ptr& st, const std::string& reason);

// Every task runs: a restart under way is over.
void running(const master_ptr& st) {
  st->now = phase::running;
  if (!st->restarts.empty() && st->restarts.back().outcome == restart_outcome::restarting) {
    auto& r = st->restarts.back();
    r.outcome = restart_outcome::running;
    r.downtime_ms = std::chrono::duration<double, std::milli>(clock::now() - st->failed_at).count();
  }
  st->checkpoints->next();  // requests that came while it restarted
}

void next_attempt(caf::event_based_actor* self, const master_ptr& st, const std::string& reason);

// Asks the coordinator for slots on live nodes, then deploys. While there are
// none (nodes may come back: after a node died, or when a restarted
// coordinator waits for its nodes to register again) it asks again every
// slot_retry, up to slot_patience after restart() began; then the attempt
// has failed and the restart policy decides.
void reschedule(caf::event_based_actor* self, const master_ptr& st) {
  auto attempt = st->attempt;
  auto retry_or_fail = [self, st, attempt](const std::string& why) {
    if (master_state::clock::now() - st->slots_since <= slot_patience)
      return self->delayed_send(self, slot_retry, restart_atom::value, attempt, false);
    NAGARE_LOG(warning, st->log_name())
        << "attempt " << attempt << " found no slots within "
        << std::chrono::duration_cast<std::chrono::seconds>(slot_patience).count() << " s: " << why;
    next_attempt(self, st, "cannot restart: " + why);
  };
  self->request(st->setup.coordinator, std::chrono::seconds(10), reschedule_atom::value,
                st->setup.job_id)
      .then(
          [st, attempt, retry_or_fail, self](status& error, slot_assignment& slots) {
            if (st->over || st->attempt != attempt) return;
            if (!error.ok()) return retry_or_fail(error.message());
            st->setup.slots = std::move(slots);
            start_attempt(self, st);
          },
          [st, attempt, retry_or_fail](caf::error& e) {
            if (st->over || st->attempt != attempt) return;
            retry_or_fail(to_string(e));
          });
}

// A new attempt from the latest complete checkpoint (or the job's start).
void restart(caf::event_based_actor* self, const master_ptr& st) {
  st->restore = restore_point(*st->checkpoints, st->initial_restore);
  if (!st->restarts.empty()) st->restarts.back().restored_checkpoint = st->restore.checkpoint;
  NAGARE_LOG(info, st->log_name())
      << "restarting (attempt " << st->attempt << ") from "
      << (st->restore.checkpoint ? "checkpoint " + std::to_string(st->restore.checkpoint)
                                 : std::string("the beginning"));
  st->slots_since = clock::now();
  reschedule(self, st);
}

// Stops the attempt; restarts it after the policy's delay, or gives up.
void on_failure(caf::event_based_actor* self, const master_ptr& st, const std::string& reason) {
  if (st->over || st->now == phase::restarting) return;
  if (st->finished_count > 0 && st->finished_count == st->tasks.size()) return;
  NAGARE_LOG(info, st->log_name()) << reason;
  stop_tasks(self, st);
  auto& cc = *st->checkpoints;
  if (cc.in_flight())
    cc.fail(cc.pending_id(), status(errc::unavailable, "the job failed: " + reason), clock::now());
  st->failed_at = clock::now();
  next_attempt(self, st, reason);
}

// The current attempt failed (or could not start): the restart policy gives
// the delay of the next one, or gives up. The job's downtime counts from the
// first failure (failed_at), however many attempts follow.
void next_attempt(caf::event_based_actor* self, const master_ptr& st, const std::string& reason) {
  auto next = st->attempt + 1;
  auto delay = st->policy.delay(next);
  if (!delay) return conclude(self, st, job_state::failed, give_up_reason(st->policy, reason));
  st->attempt = next;
  st->now = phase::restarting;
  st->restarts.push_back({next, unix_now(), reason, 0, 0, restart_outcome::restarting});
  self->delayed_send(self, *delay, restart_atom::value, next, true);
}

}  // namespace

restore_spec restore_point(const checkpoint_coordinator& cc, const restore_spec& initial) {
  auto latest = cc.latest();
  return latest ? spec_of(*latest) : initial;
}

bool note_restore_failure(checkpoint_coordinator& cc, uint64_t job_id, const restore_spec& restored,
                          const status& error, const damaged_snapshot& where) {
  if (error.code() != errc::corruption || restored.checkpoint == 0) return false;
  // A damaged snapshot spoils every checkpoint whose chains need it; a
  // savepoint of another job is only itself.
  if (where.checkpoint != 0 && restored.job_id == job_id)
    cc.mark_damaged(restored.checkpoint, where.checkpoint, where.task);
  else
    cc.mark_damaged(restored.checkpoint);
  return true;
}

std::string give_up_reason(const restart_policy& policy, const std::string& reason) {
  if (policy.max_attempts() == 0) return reason;
  return reason + " (gave up after " + std::to_string(policy.max_attempts()) + " restarts)";
}

void start_attempt(caf::event_based_actor* self, const master_ptr& st) {
  deploy_attempt(
      self, st, [st] { running(st); },
      [self, st](const status& error, const damaged_snapshot& where) {
        if (note_restore_failure(*st->checkpoints, st->setup.job_id, st->restore, error, where))
          NAGARE_LOG(warning, st->log_name())
              << "checkpoint " << st->restore.checkpoint
              << " cannot be restored, restarts use an older one: " << error.message();
        on_failure(self, st, error.message());
      });
}

void start_from_store(caf::event_based_actor* self, const master_ptr& st) {
  auto load = [self, st](std::vector<checkpoint_record> records, const status& error) {
    if (!error.ok()) return conclude(self, st, job_state::failed, error.message());
    if (!st->setup.resume) {
      st->initial_restore = spec_of(records.front());
      st->checkpoints->continue_after(records.front().id);
      st->attempt = 0;
      return restart(self, st);
    }
    st->checkpoints->add_completed(std::move(records));
    st->attempt = 1;  // attempt 0 ran under the previous coordinator
    st->failed_at = clock::now();
    // Number new checkpoints above any the previous coordinator began.
    self->request(st->setup.store, store_timeout, highest_atom::value, st->setup.job_id)
        .then(
            [self, st](status& error, uint64_t highest) {
              if (!error.ok()) return conclude(self, st, job_state::failed, error.message());
              st->checkpoints->continue_after(highest);
              restart(self, st);
            },
            [self, st](caf::error& e) {
              conclude(self, st, job_state::failed, "cannot read checkpoints: " + to_string(e));
            });
  };
  if (st->setup.resume) {
    self->request(st->setup.store, store_timeout, load_atom::value, st->setup.job_id)
        .then([load](status& error,
                     std::vector<checkpoint_record>& records) { load(std::move(records), error); },
              [load](caf::error& e) { load({}, status_of(e, "cannot read checkpoints: ")); });
  } else {
    self->request(st->setup.store, store_timeout, load_atom::value, st->setup.job.from_savepoint)
        .then(
            [load](status& error, checkpoint_record& r) {
              load({r}, error.ok() ? error
                                   : status(error.code(),
                                            "cannot restore from savepoint: " + error.message()));
            },
            [load](caf::error& e) { load({}, status_of(e, "cannot read the savepoint: ")); });
  }
}

void on_task_down(caf::event_based_actor* self, const master_ptr& st, const caf::down_msg& m) {
  for (uint32_t i = 0; i < st->tasks.size(); ++i) {
    if (!st->tasks[i] || st->tasks[i].address() != m.source || st->finished[i]) continue;
    auto t = describe_task(*st, i);
    auto why = m.reason == caf::exit_reason::remote_link_unreachable ? "its node became unreachable"
                                                                     : to_string(m.reason);
    return on_failure(self, st,
                      "task " + t.id + " (" + t.chain + ") on node " + t.node + " died: " + why);
  }
}

void on_task_failed(caf::event_based_actor* self, const master_ptr& st, uint32_t task,
                    const status& why) {
  if (st->over) return;
  // The master itself reports a job it cannot run.
  if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(self))
    return conclude(self, st, job_state::failed, why.message());
  if (task_of(st, self->current_sender()->address(), task) < 0) return;
  on_failure(self, st, why.message());
}

void on_node_lost(caf::event_based_actor* self, const master_ptr& st, const std::string& node) {
  const auto& names = st->setup.slots.names;
  if (st->now == phase::restarting || std::find(names.begin(), names.end(), node) == names.end())
    return;
  on_failure(self, st, "node " + node + " was lost");
}

void on_restart(caf::event_based_actor* self, const master_ptr& st, uint32_t attempt, bool fresh) {
  if (st->over || attempt != st->attempt) return;
  if (fresh)
    restart(self, st);
  else
    reschedule(self, st);
}

}  // namespace nagare
