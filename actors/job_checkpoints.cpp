// The job master's part in checkpoints: the job_port through which the
// checkpoint coordinator (which decides and keeps the books) reaches the
// tasks and the checkpoint store, and the handlers of the messages about
// checkpoints: the periodic timer, timeouts, acknowledgements, declines and
// requests for a checkpoint or savepoint.
#include <chrono>

#include "checkpoint_store.hpp"
#include "job_master_state.hpp"

namespace nagare {

namespace {

using clock = master_state::clock;
constexpr auto store_timeout = std::chrono::seconds(60);

class master_port : public job_port {
 public:
  master_port(caf::event_based_actor* self, master_state* st) : self_(self), st_(st) {}

  bool running() const override { return !st_->over && st_->now == master_state::phase::running; }
  bool input_ended() const override { return st_->ended_count == st_->tasks.size(); }

  // The tasks a checkpoint is triggered at: the sources, and every task
  // whose input has ended (no barrier reaches it any more).
  void trigger(uint64_t id) override {
    // The enumerators now: they know exactly the splits sent before the triggers.
    st_->sources_checkpoint = id;
    st_->source_snapshots = snapshot_sources(*st_);
    for (uint32_t t = 0; t < st_->tasks.size(); ++t)
      if (st_->tasks[t] && (st_->vertex_of(t).is_source || st_->ended[t]))
        self_->send(st_->tasks[t], trigger_atom::value, id);
    self_->delayed_send(self_, st_->checkpoints->timeout(), timeout_atom::value, id);
  }

  void store(const checkpoint_record& pending, uint32_t retained) override {
    auto record = pending;
    if (st_->sources_checkpoint == record.id) record.sources = st_->source_snapshots;
    auto st = st_;
    auto attempt = st_->attempt;
    // Replies of an earlier attempt (or after the end) are ignored.
    auto current = [st, attempt] { return !st->over && st->attempt == attempt; };
    self_->request(st_->setup.store, store_timeout, complete_atom::value, record, retained)
        .then(
            [st, record, current](status& outcome) {
              if (current()) st->checkpoints->stored(record.id, record, outcome, clock::now());
            },
            [st, record, current](caf::error& e) {
              if (current()) st->checkpoints->stored(record.id, record, status_of(e), clock::now());
            });
  }

  void complete(uint64_t id, bool last) override {
    for (auto& t : st_->tasks)
      if (t) self_->send(t, complete_atom::value, id, last);
  }

 private:
  caf::event_based_actor* self_;
  master_state* st_;  // owns this port
};

}  // namespace

std::unique_ptr<job_port> make_job_port(caf::event_based_actor* self, master_state* st) {
  return std::make_unique<master_port>(self, st);
}

void on_checkpoint_tick(caf::event_based_actor* self, const master_ptr& st) {
  if (st->over) return;
  st->checkpoints->tick(clock::now());
  self->delayed_send(self, st->checkpoints->interval(), trigger_atom::value);
}

void on_checkpoint_timeout(const master_ptr& st, uint64_t id) {
  auto& cc = *st->checkpoints;
  cc.fail(id,
          status(errc::timeout, "timed out after " + std::to_string(cc.timeout().count()) + " ms"),
          clock::now());
}

void on_ack(caf::event_based_actor* self, const master_ptr& st, uint32_t task, uint64_t id,
            const checkpoint_ack& ack) {
  if (st->over || task_of(st, self->current_sender()->address(), task) < 0) return;
  st->checkpoints->acknowledge(task, id, ack, clock::now());
}

void on_decline(caf::event_based_actor* self, const master_ptr& st, uint32_t task, uint64_t id,
                const status& why) {
  if (st->over || task_of(st, self->current_sender()->address(), task) < 0) return;
  st->checkpoints->fail(
      id, status(why.code(), "task " + std::to_string(task) + ": " + why.message()), clock::now());
}

caf::typed_response_promise<status, checkpoint_info> on_checkpoint_request(
    caf::event_based_actor* self, const master_ptr& st) {
  auto rp = self->make_response_promise<status, checkpoint_info>();
  st->checkpoints->request(
      false, false,
      [rp](const status& e, const checkpoint_info& info) mutable { rp.deliver(e, info); });
  return rp;
}

caf::typed_response_promise<status, std::string> on_savepoint_request(caf::event_based_actor* self,
                                                                      const master_ptr& st,
                                                                      bool stop) {
  auto rp = self->make_response_promise<status, std::string>();
  auto job = st->setup.job_id;
  st->checkpoints->request(true, stop,
                           [rp, job](const status& e, const checkpoint_info& info) mutable {
                             rp.deliver(e, e.ok() ? savepoint_id(job, info.id) : "");
                           });
  return rp;
}

}  // namespace nagare
