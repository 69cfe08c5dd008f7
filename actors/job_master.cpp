#include "job_master.hpp"

#include <algorithm>
#include <chrono>

#include "checkpoint_store.hpp"
#include "job_master_state.hpp"
#include "log.hpp"
#include "restore_assembly.hpp"

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

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

restore_spec spec_of(const checkpoint_record& r) { return restore_spec{r.job_id, r.id, r.tasks}; }

void stop_tasks(caf::event_based_actor* self, const master_ptr& st) {
  // Not exit_reason::kill: it cannot be trapped and would take the tasks' node too.
  for (auto& t : st->tasks)
    if (t) self->send_exit(t, caf::exit_reason::user_shutdown);
  st->tasks.assign(st->tasks.size(), nullptr);
}

void conclude(caf::event_based_actor* self, const master_ptr& st, std::string state,
              std::string reason) {
  if (st->over) return;
  st->over = true;
  stop_tasks(self, st);
  auto& cc = *st->checkpoints;
  if (cc.in_flight()) cc.fail(cc.pending_id(), "the job ended: " + state, clock::now());
  for (auto& w : st->waiters)
    w.deliver("job " + std::to_string(st->setup.job_id) + " is " + state, {});
  for (auto& q : st->queued)
    q.deliver("job " + std::to_string(st->setup.job_id) + " is " + state, {});
  st->waiters.clear();
  st->queued.clear();
  if (!st->restarts.empty() && st->restarts.back().outcome == "RESTARTING")
    st->restarts.back().outcome = "GAVE_UP";
  job_outcome out;
  out.job_id = st->setup.job_id;
  out.state = std::move(state);
  out.reason = std::move(reason);
  out.seconds = std::chrono::duration<double>(clock::now() - st->started).count();
  out.source_records = st->source_records;
  NAGARE_LOG(info, st->log_name()) << out.state << (out.reason.empty() ? "" : ": " + out.reason);
  self->send(st->setup.coordinator, job_done_atom::value, out, st->restarts,
             st->checkpoints->history());
  self->quit();
}

void on_failure(caf::event_based_actor* self, const master_ptr& st, const std::string& reason);
void begin_checkpoint(caf::event_based_actor* self, const master_ptr& st, bool savepoint, bool stop,
                      bool final);

// The tasks a checkpoint is triggered at: the sources, and every task whose
// input has ended (no barrier reaches it any more).
void trigger(caf::event_based_actor* self, const master_ptr& st, uint64_t id) {
  for (uint32_t t = 0; t < st->tasks.size(); ++t)
    if (st->tasks[t] && (st->vertex_of(t).is_source || st->ended[t]))
      self->send(st->tasks[t], trigger_atom::value, id);
}

// The next queued request, or the final checkpoint when every input has ended.
void next_checkpoint(caf::event_based_actor* self, const master_ptr& st) {
  if (st->over || st->now != phase::running || st->checkpoints->in_flight()) return;
  if (!st->queued.empty()) {
    auto q = std::move(st->queued.front());
    st->queued.pop_front();
    begin_checkpoint(self, st, q.savepoint, q.stop, false);
    st->waiters.push_back({st->checkpoints->pending_id(), std::move(q.deliver)});
    return;
  }
  if (st->ended_count == st->tasks.size()) begin_checkpoint(self, st, false, false, true);
}

void begin_checkpoint(caf::event_based_actor* self, const master_ptr& st, bool savepoint, bool stop,
                      bool final) {
  auto& cc = *st->checkpoints;
  auto id = cc.begin(savepoint, final || st->ended_count == st->tasks.size(), clock::now());
  st->stopping = stop;
  trigger(self, st, id);
  self->delayed_send(self, cc.timeout(), timeout_atom::value, id);
}

void checkpoint_failed(caf::event_based_actor* self, const master_ptr& st, uint64_t id,
                       const std::string& reason) {
  auto& cc = *st->checkpoints;
  if (!cc.in_flight() || cc.pending_id() != id) return;
  NAGARE_LOG(warning, st->log_name()) << "checkpoint " << id << " failed: " << reason;
  cc.fail(id, reason, clock::now());
  st->stopping = false;
  for (auto it = st->waiters.begin(); it != st->waiters.end();) {
    if (it->id == id) {
      it->deliver("checkpoint " + std::to_string(id) + " failed: " + reason, {});
      it = st->waiters.erase(it);
    } else {
      ++it;
    }
  }
  next_checkpoint(self, st);
}

// Every task acknowledged: make the record durable, then the checkpoint is
// complete and the tasks hear of it.
void store_checkpoint(caf::event_based_actor* self, const master_ptr& st) {
  auto& cc = *st->checkpoints;
  auto record = cc.record(wall_ms());
  auto id = record.id;
  auto attempt = st->attempt;
  self->request(st->setup.store, store_timeout, complete_atom::value, record, cc.retained())
      .then(
          [self, st, record, id, attempt](std::string& error) {
            if (st->over || st->attempt != attempt) return;
            if (!error.empty()) return checkpoint_failed(self, st, id, "cannot store: " + error);
            auto& cc = *st->checkpoints;
            bool final = cc.pending_is_final();
            bool last = final || st->stopping;
            cc.completed(id, record, clock::now());
            auto info = cc.history().back();
            NAGARE_LOG(info, st->log_name()) << (record.savepoint ? "savepoint " : "checkpoint ")
                                             << id << " complete: " << info.bytes << " bytes, "
                                             << static_cast<int64_t>(info.duration_ms) << " ms";
            for (auto& t : st->tasks)
              if (t) self->send(t, complete_atom::value, id, last);
            for (auto it = st->waiters.begin(); it != st->waiters.end();) {
              if (it->id == id) {
                it->deliver("", info);
                it = st->waiters.erase(it);
              } else {
                ++it;
              }
            }
            if (last) {
              st->end_state = final ? "FINISHED" : "STOPPED";
              return;  // the tasks close and report finished
            }
            next_checkpoint(self, st);
          },
          [self, st, id, attempt](caf::error& e) {
            if (st->over || st->attempt != attempt) return;
            checkpoint_failed(self, st, id, "cannot store: " + to_string(e));
          });
}

void running(caf::event_based_actor* self, const master_ptr& st) {
  st->now = phase::running;
  if (!st->restarts.empty() && st->restarts.back().outcome == "RESTARTING") {
    auto& r = st->restarts.back();
    r.outcome = "RUNNING";
    r.downtime_ms = std::chrono::duration<double, std::milli>(clock::now() - st->failed_at).count();
  }
  next_checkpoint(self, st);  // requests that came while it restarted
}

void start_attempt(caf::event_based_actor* self, const master_ptr& st) {
  deploy_attempt(
      self, st, [self, st] { running(self, st); },
      [self, st](const std::string& reason, bool restore_failed) {
        if (restore_failed && st->restore.checkpoint > 0) {
          NAGARE_LOG(warning, st->log_name())
              << "checkpoint " << st->restore.checkpoint
              << " cannot be restored, restarts use an older one: " << reason;
          // A damaged snapshot spoils every checkpoint whose chains need it.
          auto at = parse_restore_failure(reason);
          if (at && st->restore.job_id == st->setup.job_id)
            st->checkpoints->mark_damaged(st->restore.checkpoint, at->checkpoint, at->task);
          else
            st->checkpoints->mark_damaged(st->restore.checkpoint);
        }
        on_failure(self, st, reason);
      });
}

// Asks the coordinator for slots on live nodes, then deploys; waits for
// slots while none are free (nodes may come back), up to slot_patience.
void reschedule(caf::event_based_actor* self, const master_ptr& st, clock::time_point since) {
  auto attempt = st->attempt;
  self->request(st->setup.coordinator, std::chrono::seconds(10), reschedule_atom::value,
                st->setup.job_id)
      .then(
          [self, st, attempt, since](std::string& error, slot_assignment& slots) {
            if (st->over || st->attempt != attempt) return;
            if (error.empty()) {
              st->setup.slots = std::move(slots);
              return start_attempt(self, st);
            }
            if (clock::now() - since > slot_patience)
              return conclude(self, st, "FAILED", "cannot restart: " + error);
            self->delayed_send(self, slot_retry, restart_atom::value, attempt, false);
          },
          [self, st, attempt](caf::error& e) {
            if (st->over || st->attempt != attempt) return;
            conclude(self, st, "FAILED", "cannot restart: " + to_string(e));
          });
}

// A new attempt from the latest complete checkpoint (or the job's start).
void restart(caf::event_based_actor* self, const master_ptr& st) {
  auto latest = st->checkpoints->latest();
  st->restore = latest ? spec_of(*latest) : st->initial_restore;
  if (!st->restarts.empty()) st->restarts.back().restored_checkpoint = st->restore.checkpoint;
  NAGARE_LOG(info, st->log_name())
      << "restarting (attempt " << st->attempt << ") from "
      << (st->restore.checkpoint ? "checkpoint " + std::to_string(st->restore.checkpoint)
                                 : std::string("the beginning"));
  reschedule(self, st, clock::now());
}

void on_failure(caf::event_based_actor* self, const master_ptr& st, const std::string& reason) {
  if (st->over || st->now == phase::restarting) return;
  if (st->finished_count > 0 && st->finished_count == st->tasks.size()) return;
  NAGARE_LOG(info, st->log_name()) << reason;
  stop_tasks(self, st);
  auto& cc = *st->checkpoints;
  if (cc.in_flight()) checkpoint_failed(self, st, cc.pending_id(), "the job failed: " + reason);
  auto next = st->attempt + 1;
  auto delay = st->policy.delay(next);
  if (!delay) {
    auto why = st->policy.max_attempts() == 0
                   ? reason
                   : reason + " (gave up after " + std::to_string(st->policy.max_attempts()) +
                         " restarts)";
    return conclude(self, st, "FAILED", why);
  }
  st->attempt = next;
  st->now = phase::restarting;
  st->failed_at = clock::now();
  st->restarts.push_back({next, unix_now(), reason, 0, 0, "RESTARTING"});
  self->delayed_send(self, *delay, restart_atom::value, next, true);
}

// Index of the current task `who` is, or -1.
int task_of(const master_ptr& st, const caf::actor_addr& who, uint32_t claimed) {
  if (claimed < st->tasks.size() && st->tasks[claimed] && st->tasks[claimed].address() == who)
    return static_cast<int>(claimed);
  return -1;
}

// A savepoint or checkpoint on request: now, or after the one in flight.
void request_checkpoint(caf::event_based_actor* self, const master_ptr& st, bool savepoint,
                        bool stop,
                        std::function<void(const std::string&, const checkpoint_info&)> deliver) {
  st->queued.push_back({savepoint, stop, std::move(deliver)});
  next_checkpoint(self, st);
}

}  // namespace

caf::behavior job_master(caf::event_based_actor* self, job_master_setup setup) {
  auto st = std::make_shared<master_state>();
  st->setup = std::move(setup);
  std::vector<checkpoint_coordinator::task_description> descriptions;
  for (const auto& v : st->setup.plan.vertices)
    for (uint32_t s = 0; s < v.parallelism; ++s) {
      st->task_refs.push_back({v.id, s});
      descriptions.push_back({v.name, s});
    }
  st->checkpoints = std::make_unique<checkpoint_coordinator>(st->setup.job_id, st->setup.job,
                                                             std::move(descriptions));
  const auto& job = st->setup.job;
  auto policy = restart_policy::parse(job.restart_strategy, job.checkpoint_interval_ms > 0);
  if (policy.ok()) st->policy = policy.value();
  st->tasks.assign(st->task_refs.size(), nullptr);
  st->ended.assign(st->task_refs.size(), false);
  st->finished.assign(st->task_refs.size(), false);
  st->final_stats.assign(st->task_refs.size(), task_stats{});

  self->set_down_handler([self, st](caf::down_msg& m) {
    for (uint32_t i = 0; i < st->tasks.size(); ++i) {
      if (!st->tasks[i] || st->tasks[i].address() != m.source || st->finished[i]) continue;
      auto t = describe_task(*st, i);
      auto why = m.reason == caf::exit_reason::remote_link_unreachable
                     ? "its node became unreachable"
                     : to_string(m.reason);
      return on_failure(self, st,
                        "task " + t.id + " (" + t.chain + ") on node " + t.node + " died: " + why);
    }
  });
  // The state holds the tasks, which hold this actor: release on exit.
  self->attach_functor([st](const caf::error&) {
    st->tasks.clear();
    st->setup.slots = {};
    st->setup.coordinator = nullptr;
    st->setup.store = nullptr;
    st->waiters.clear();
    st->queued.clear();
  });
  if (!policy.ok()) {
    self->send(self, failed_atom::value, uint32_t{0}, policy.error().message());
  } else if (st->setup.resume || !st->setup.job.from_savepoint.empty()) {
    // Find where to start from in the store first.
    auto load = [self, st](std::vector<checkpoint_record> records, std::string error) {
      if (!error.empty()) return conclude(self, st, "FAILED", error);
      if (!st->setup.resume) {
        st->initial_restore = spec_of(records.front());
        st->checkpoints->continue_after(records.front().id);
        st->attempt = 0;
        return restart(self, st);
      }
      st->checkpoints->add_completed(std::move(records));
      st->attempt = 1;  // attempt 0 ran under the previous coordinator
      // Number new checkpoints above any the previous coordinator began.
      self->request(st->setup.store, store_timeout, highest_atom::value, st->setup.job_id)
          .then(
              [self, st](std::string& error, uint64_t highest) {
                if (!error.empty()) return conclude(self, st, "FAILED", error);
                st->checkpoints->continue_after(highest);
                restart(self, st);
              },
              [self, st](caf::error& e) {
                conclude(self, st, "FAILED", "cannot read checkpoints: " + to_string(e));
              });
    };
    if (st->setup.resume) {
      self->request(st->setup.store, store_timeout, load_atom::value, st->setup.job_id)
          .then(
              [load](std::string& error, std::vector<checkpoint_record>& records) {
                load(std::move(records), error);
              },
              [load](caf::error& e) { load({}, "cannot read checkpoints: " + to_string(e)); });
    } else {
      self->request(st->setup.store, store_timeout, load_atom::value, st->setup.job.from_savepoint)
          .then(
              [load](std::string& error, checkpoint_record& r) {
                load({r}, error.empty() ? error : "cannot restore from savepoint: " + error);
              },
              [load](caf::error& e) { load({}, "cannot read the savepoint: " + to_string(e)); });
    }
  } else {
    start_attempt(self, st);
  }
  if (st->checkpoints->periodic())
    self->delayed_send(self, st->checkpoints->interval(), trigger_atom::value);

  return {
      // Periodic checkpoints.
      [self, st](trigger_atom) {
        if (st->over) return;
        auto& cc = *st->checkpoints;
        if (st->now == phase::running && st->queued.empty() && cc.due(clock::now()) &&
            st->ended_count < st->tasks.size())
          begin_checkpoint(self, st, false, false, false);
        self->delayed_send(self, cc.interval(), trigger_atom::value);
      },
      [self, st](timeout_atom, uint64_t id) {
        checkpoint_failed(
            self, st, id,
            "timed out after " + std::to_string(st->checkpoints->timeout().count()) + " ms");
      },
      [self, st](ack_atom, uint32_t task, uint64_t id, checkpoint_ack& ack) {
        if (st->over || task_of(st, self->current_sender()->address(), task) < 0) return;
        if (st->checkpoints->acknowledge(task, id, ack, clock::now())) store_checkpoint(self, st);
      },
      [self, st](decline_atom, uint32_t task, uint64_t id, std::string& reason) {
        if (st->over || task_of(st, self->current_sender()->address(), task) < 0) return;
        checkpoint_failed(self, st, id, "task " + std::to_string(task) + ": " + reason);
      },
      [self, st](ended_atom, uint32_t task, task_stats& stats) {
        if (st->over || task_of(st, self->current_sender()->address(), task) < 0) return;
        if (st->ended[task]) return;
        st->ended[task] = true;
        ++st->ended_count;
        st->final_stats[task] = stats;
        auto& cc = *st->checkpoints;
        // A checkpoint in flight whose barrier can no longer reach it.
        if (cc.in_flight()) self->send(st->tasks[task], trigger_atom::value, cc.pending_id());
        next_checkpoint(self, st);
      },
      [self, st](finished_atom, uint32_t task, task_stats& stats) {
        if (st->over || task_of(st, self->current_sender()->address(), task) < 0) return;
        if (st->finished[task]) return;
        st->finished[task] = true;
        st->final_stats[task] = stats;
        if (st->vertex_of(task).is_source) st->source_records += stats.records_in;
        if (++st->finished_count == st->tasks.size()) conclude(self, st, st->end_state, "");
      },
      [self, st](failed_atom, uint32_t task, std::string& reason) {
        if (st->over) return;
        // The master itself reports a job it cannot run.
        if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(self))
          return conclude(self, st, "FAILED", reason);
        if (task_of(st, self->current_sender()->address(), task) < 0) return;
        on_failure(self, st, reason);
      },
      [self, st](restart_atom, uint32_t attempt, bool fresh) {
        if (st->over || attempt != st->attempt) return;
        if (fresh)
          restart(self, st);
        else
          reschedule(self, st, st->failed_at);
      },
      [self, st](node_lost_atom, const std::string& node) {
        const auto& names = st->setup.slots.names;
        if (st->now == phase::restarting ||
            std::find(names.begin(), names.end(), node) == names.end())
          return;
        on_failure(self, st, "node " + node + " was lost");
      },
      [self, st](cancel_atom) {
        conclude(self, st, "CANCELED", "cancelled by request");
        return std::string{};
      },
      [self, st](checkpoints_atom) {
        return std::make_tuple(std::string{}, st->checkpoints->history());
      },
      [self, st](checkpoint_atom) {
        auto rp = self->make_response_promise<std::string, checkpoint_info>();
        request_checkpoint(self, st, false, false,
                           [rp](const std::string& e, const checkpoint_info& info) mutable {
                             rp.deliver(e, info);
                           });
        return rp;
      },
      [self, st](savepoint_atom) {
        auto rp = self->make_response_promise<std::string, std::string>();
        auto job = st->setup.job_id;
        request_checkpoint(self, st, true, false,
                           [rp, job](const std::string& e, const checkpoint_info& info) mutable {
                             rp.deliver(e, e.empty() ? savepoint_id(job, info.id) : "");
                           });
        return rp;
      },
      [self, st](stop_atom, bool with_savepoint) {
        auto rp = self->make_response_promise<std::string, std::string>();
        if (!with_savepoint) {
          conclude(self, st, "STOPPED", "stopped by request");
          rp.deliver(std::string{}, std::string{});
          return rp;
        }
        auto job = st->setup.job_id;
        request_checkpoint(self, st, true, true,
                           [rp, job](const std::string& e, const checkpoint_info& info) mutable {
                             rp.deliver(e, e.empty() ? savepoint_id(job, info.id) : "");
                           });
        return rp;
      },
      [self, st](kill_atom, uint32_t task) {
        if (task >= st->tasks.size())
          return "job " + std::to_string(st->setup.job_id) + " has no task " + std::to_string(task);
        if (!st->tasks[task])
          return "task " + std::to_string(st->setup.job_id) + "." + std::to_string(task) +
                 " is not running";
        // As if it crashed: an exit reason its node does not take for a shutdown.
        self->send_exit(st->tasks[task], caf::exit_reason::unhandled_exception);
        return std::string{};
      },
      [self, st](restarts_atom) { return std::make_tuple(std::string{}, st->restarts); },
      [self, st](actors_atom) {
        auto rp = self->make_response_promise<std::string, std::vector<task_info>>();
        std::vector<uint32_t> all(st->task_refs.size());
        for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
        query_tasks(self, st, all, [rp](std::vector<task_info>& infos) mutable {
          rp.deliver(std::string{}, infos);
        });
        return rp;
      },
      [self, st](inspect_atom, uint32_t task) {
        auto rp = self->make_response_promise<std::string, task_info>();
        if (task >= st->task_refs.size()) {
          rp.deliver(
              "job " + std::to_string(st->setup.job_id) + " has no task " + std::to_string(task),
              task_info{});
          return rp;
        }
        query_tasks(self, st, {task}, [rp](std::vector<task_info>& infos) mutable {
          rp.deliver(std::string{}, infos[0]);
        });
        return rp;
      },
  };
}

}  // namespace nagare
