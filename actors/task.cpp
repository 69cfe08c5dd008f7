#include "task.hpp"

#include <algorithm>
#include <chrono>

#include "log.hpp"
#include "nagare/detail/operators.hpp"

namespace nagare {

namespace {

// How often a task whose operators want processing time advances it when no
// input comes.
constexpr auto tick_interval = std::chrono::milliseconds(10);
// The longest a source that emits nothing waits before it polls again.
constexpr uint32_t max_poll_backoff_ms = 50;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

task_actor::task_actor(caf::actor_config& cfg, task_setup setup)
    : caf::event_based_actor(cfg),
      setup_(std::move(setup)),
      peers_(this),
      inputs_(peers_, setup_.at_least_once),
      outputs_(peers_) {}

task_actor::~task_actor() = default;

void task_actor::on_exit() {
  inputs_.clear();
  outputs_.clear();
  peers_.clear();
  setup_.master = nullptr;
  setup_.store = nullptr;
  chain_.reset();
}

caf::behavior task_actor::make_behavior() {
  waker_ = std::make_shared<task_waker>(ctrl());
  setup_.chain.waker = waker_;
  auto built = task_chain::build(*setup_.graph, *setup_.plan, setup_.vertex, setup_.subtask, this,
                                 setup_.chain);
  if (!built.ok()) {
    fail(built.error());
    return {};
  }
  chain_ = std::move(built.value());
  return {
      [this](connect_atom, task_wiring& w) { return on_connect(w); },
      [this](start_atom) { on_start(); },
      [this](batch_message& m) { on_batch(m); },
      [this](credit_atom, uint32_t channel, uint32_t n) { on_credit(channel, n); },
      [this](eos_atom, uint32_t channel) {
        on_item(channel, channel_item::end_of_stream(), "end of stream");
      },
      [this](barrier_atom, uint32_t channel, uint64_t id) {
        on_item(channel, channel_item::of_barrier(id), "barrier");
      },
      [this](watermark_atom, uint32_t channel, int64_t wm, bool idle) {
        on_item(channel, channel_item::of_watermark(wm, idle), "watermark");
      },
      [this](tick_atom) { on_tick(); },
      [this](wake_atom) {
        waker_->rearm();
        on_async();
      },
      [this](trigger_atom, uint64_t id) { on_trigger(id); },
      [this](complete_atom, uint64_t id, bool last) { on_complete(id, last); },
      [this](poll_atom) { on_poll(); },
      [this](poll_atom, uint64_t id) {
        if (id == backoff_id_ && backoff_ms_ > 0) on_poll();
      },
      [this](splits_atom, std::vector<source_split>& splits, bool no_more) {
        on_splits(splits, no_more);
      },
      [this](status_atom) { return status_info(); },
      [this](metrics_atom) {
        publish_metrics();
        if (phase_ != phase::done) delayed_send(this, std::chrono::seconds(1), metrics_atom::value);
      },
      [this](flush_atom) {
        if (phase_ != phase::running) return;
        guarded([&] { chain_->flush(); });
        delayed_send(this, std::chrono::milliseconds(setup_.linger_ms), flush_atom::value);
      },
  };
}

caf::typed_response_promise<status, damaged_snapshot> task_actor::on_connect(task_wiring& w) {
  peers_.wire(w);
  outputs_.open(w.outputs.size());
  inputs_.open(std::vector<uint32_t>(setup_.input_gates.begin(),
                                     setup_.input_gates.begin() + w.inputs.size()));
  // Open the operators and restore their state before the master starts anyone.
  auto rp = make_response_promise<status, damaged_snapshot>();
  status opened;
  if (!guarded([&] { opened = chain_->open(); })) {
    rp.deliver(status(errc::user_error, "task failed while opening"), damaged_snapshot{});
    return rp;
  }
  if (!opened.ok()) {
    rp.deliver(status(opened.code(), chain_->info().task_name + ": " + opened.message()),
               damaged_snapshot{});
    fail(opened);
    return rp;
  }
  restore(rp);
  return rp;
}

void task_actor::on_start() {
  if (phase_ != phase::wired) return;
  phase_ = phase::running;
  stats_.started_unix_s = unix_now_s();
  if (setup_.chain.metrics) {
    const auto& vx = setup_.plan->vertices[setup_.vertex];
    metrics_ = std::make_unique<task_metrics>(
        *setup_.chain.metrics,
        metric_group::labels{{"job", setup_.chain.job_name},
                             {"job_id", std::to_string(setup_.job_id)},
                             {"task", vx.name},
                             {"vertex", std::to_string(setup_.vertex)},
                             {"subtask", std::to_string(setup_.subtask)}},
        chain_->info().state.backend == state_backend::leveldb ? "leveldb" : "memory");
    send(this, metrics_atom::value);
  }
  inputs_.grant(setup_.channel_credit);
  if (restored_finished_) {
    // Its input had ended and its output was complete when the checkpoint was
    // taken: end again without emitting anything.
    phase_ = phase::draining;
    outputs_.push_all(channel_item::end_of_stream());
    return maybe_ended();
  }
  if (outputs_.size() > 0)
    delayed_send(this, std::chrono::milliseconds(setup_.linger_ms), flush_atom::value);
  if (!advance_processing_time()) return;
  if (chain_->is_source())
    schedule_poll();
  else
    run();
}

// Counts the time of the outermost handler running the chain as busy.
class task_actor::busy_scope {
 public:
  explicit busy_scope(task_actor& t) : t_(t) {
    if (t_.busy_depth_++ == 0) start_ = std::chrono::steady_clock::now();
  }
  ~busy_scope() {
    if (--t_.busy_depth_ == 0)
      t_.stats_.busy_ns +=
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now() - start_)
                                    .count());
  }
  busy_scope(const busy_scope&) = delete;
  busy_scope& operator=(const busy_scope&) = delete;

 private:
  task_actor& t_;
  std::chrono::steady_clock::time_point start_;
};

void task_actor::publish_metrics() {
  if (metrics_) metrics_->publish(status_info());
}

task_info task_actor::status_info() const {
  static const task_state phases[] = {task_state::created, task_state::running,
                                      task_state::draining, task_state::ended,
                                      task_state::finished};
  task_info info;
  info.chain = setup_.plan->vertices[setup_.vertex].name;
  info.subtask = setup_.subtask;
  info.parallelism = setup_.plan->vertices[setup_.vertex].parallelism;
  info.state = phases[static_cast<int>(phase_)];
  info.stats = stats_;
  info.stats.backpressured_ns = static_cast<uint64_t>(outputs_.blocked_time().count());
  for (uint32_t c = 0; c < outputs_.size(); ++c) {
    info.credits.push_back(outputs_.credit(c));
    info.queued_batches += outputs_.queued(c);
  }
  for (uint32_t c = 0; c < inputs_.size(); ++c) {
    info.input_queues.push_back(static_cast<uint32_t>(inputs_.queued(c)));
    info.queued_batches += inputs_.queued(c);
  }
  // Operators have state only once opened (a shell query may come before).
  // 0 before connect opens the chain (task_chain::state_entries counts open operators).
  info.state_entries = chain_ ? chain_->state_entries() : 0;
  info.state_bytes = chain_ ? chain_->state_bytes() : 0;
  info.dead_letters = chain_ ? chain_->dead_letters() : 0;
  info.watermark = chain_ ? chain_->watermark() : min_timestamp;
  info.idle = idle_;
  return info;
}

void task_actor::on_batch(batch_message& m) {
  if (!inputs_.has(m.channel)) return fail(status(errc::internal, "batch on unknown channel"));
  busy_scope busy(*this);
  if (!m.records) {  // arrived from another process
    stats_.bytes_in += m.wire.size();
    auto payload = decode_batch_header(m.wire);
    if (!payload.ok()) return fail(payload.error());
    result<std::shared_ptr<detail::record_batch>> decoded = status(errc::internal, "not decoded");
    if (!guarded([&] {
          decoded =
              chain_->decode(inputs_.gate(m.channel), payload->data, payload->size, payload->count);
        }))
      return;
    if (!decoded.ok()) return fail(decoded.error());
    m.records = std::move(decoded.value());
  }
  inputs_.push(m.channel, channel_item::of_batch(std::move(m.records)));
  run();
}

void task_actor::on_item(uint32_t channel, channel_item it, const char* what) {
  if (!inputs_.has(channel))
    return fail(status(errc::internal, std::string(what) + " on unknown channel"));
  inputs_.push(channel, std::move(it));
  run();
}

void task_actor::on_credit(uint32_t channel, uint32_t n) {
  if (!outputs_.has(channel) || phase_ == phase::done) return;
  outputs_.add_credit(channel, n);
  if (phase_ == phase::draining) return maybe_ended();
  if (blocked()) return;
  if (chain_->is_source())
    schedule_poll();
  else
    run();
}

void task_actor::schedule_poll() {
  if (poll_scheduled_ || phase_ != phase::running || blocked()) return;
  poll_scheduled_ = true;
  send(this, poll_atom::value);
}

void task_actor::on_poll() {
  busy_scope busy(*this);
  poll_scheduled_ = false;
  ++backoff_id_;  // any backed-off poll still on its way is stale
  if (phase_ != phase::running || blocked()) return;
  if (!continue_watermark_step() || phase_ != phase::running) return;
  if (!advance_processing_time()) return;
  bool end = false;
  status polled;
  auto before = stats_.records_in;
  if (!guarded(
          [&] { polled = chain_->poll(chain_->info().batch_records, stats_.records_in, end); }))
    return;
  if (!polled.ok()) return fail(polled);
  if (end) return end_stream();
  update_source_watermark();
  if (stats_.records_in == before) return back_off();
  backoff_ms_ = 0;  // the hot path: poll again at once
  schedule_poll();
}

void task_actor::back_off() {
  if (phase_ != phase::running || blocked()) return;
  backoff_ms_ = backoff_ms_ == 0 ? 1 : std::min(2 * backoff_ms_, max_poll_backoff_ms);
  poll_scheduled_ = true;
  delayed_send(this, std::chrono::milliseconds(backoff_ms_), poll_atom::value, ++backoff_id_);
}

void task_actor::on_splits(std::vector<source_split>& splits, bool no_more) {
  if (!chain_->is_source() || phase_ == phase::done) return;
  if (!guarded([&] { chain_->add_splits(std::move(splits), no_more); })) return;
  if (backoff_ms_ > 0 && poll_scheduled_) {  // the backed-off poll is stale: poll now
    ++backoff_id_;
    backoff_ms_ = 0;
    poll_scheduled_ = false;
  }
  schedule_poll();
}

void task_actor::update_source_watermark() {
  forward_watermark(chain_->source_watermark(), chain_->source_idle());
}

void task_actor::update_input_watermark() {
  auto w = inputs_.watermark();
  if (!w.open) return;  // every channel ended: end_stream() brings max_timestamp
  forward_watermark(w.watermark, w.idle);
}

bool task_actor::forward_watermark(int64_t wm, bool idle) {
  if (idle) {
    if (idle_) return true;
    idle_ = true;
    // Records emitted before it still precede the status.
    if (!guarded([&] { chain_->flush(); })) return false;
    outputs_.push_all(channel_item::of_watermark(chain_->watermark(), true));
    return true;
  }
  bool advanced = false;
  if (!guarded([&] { advanced = chain_->advance_watermark(wm, timers_per_call()); })) return false;
  if (advanced) {  // sent on once the step is done
    idle_ = false;
    step_ = watermark_step::forward;
    continue_watermark_step();
  } else if (idle_) {  // active again
    idle_ = false;
    outputs_.push_all(channel_item::of_watermark(chain_->watermark(), false));
  }
  return phase_ != phase::done;
}

bool task_actor::continue_watermark_step() {
  if (step_ == watermark_step::none) return true;
  while (chain_->watermark_pending()) {
    if (blocked() || phase_ != phase::running) return false;
    if (!guarded([&] { chain_->resume_watermark(timers_per_call()); })) return false;
  }
  auto done = step_;
  step_ = watermark_step::none;
  if (done == watermark_step::forward)
    outputs_.push_all(channel_item::of_watermark(chain_->watermark(), false));
  else if (!finish_stream())
    return false;
  // A checkpoint triggered during the step (a task whose input had ended).
  if (deferred_trigger_ > last_checkpoint_) on_trigger(deferred_trigger_);
  return true;
}

bool task_actor::advance_processing_time() {
  bool wants = false;
  if (!guarded([&] {
        chain_->advance_processing_time(now_ms());
        wants = chain_->wants_processing_time() || chain_->async_pending();
      }))
    return false;
  if (wants && !tick_scheduled_ && phase_ == phase::running) {
    tick_scheduled_ = true;
    delayed_send(this, tick_interval, tick_atom::value);
  }
  return true;
}

void task_actor::on_tick() {
  tick_scheduled_ = false;
  if (phase_ != phase::running) return;
  if (chain_->async_pending()) {
    on_async();
    if (phase_ != phase::running) return;
  }
  if (blocked() || step_ != watermark_step::none) {  // no more output now: try again later
    if (tick_scheduled_) return;
    tick_scheduled_ = true;
    delayed_send(this, tick_interval, tick_atom::value);
    return;
  }
  advance_processing_time();
}

void task_actor::on_async() {
  if (phase_ != phase::running) return;
  busy_scope busy(*this);
  if (!guarded([&] { chain_->async_step(now_ms()); })) return;
  if (chain_->async_pending() && !tick_scheduled_) {
    tick_scheduled_ = true;
    delayed_send(this, tick_interval, tick_atom::value);
  }
  if (blocked()) return;
  if (chain_->is_source()) {
    if (!continue_watermark_step()) return;
    schedule_poll();
  } else {
    run();
  }
}

void task_actor::run() {
  if (phase_ != phase::running) return;
  busy_scope busy(*this);
  if (!continue_watermark_step() || phase_ != phase::running) return;
  using kind = input_channels::step::kind;
  while (!blocked() && step_ == watermark_step::none) {
    auto s = inputs_.next(last_checkpoint_);
    if (s.what == kind::none) break;
    if (s.what == kind::batch) {
      stats_.records_in += s.batch->size();
      ++stats_.batches_in;
      if (!advance_processing_time()) return;
      if (!guarded([&] { chain_->process(inputs_.gate(s.channel), *s.batch); })) return;
      inputs_.consumed(s.channel);
      continue;
    }
    if (s.alignment_started) first_barrier_ = std::chrono::steady_clock::now();
    if (s.checkpoint > 0) {
      take_checkpoint(s.checkpoint);  // the channels that waited are read again
      if (phase_ != phase::running) return;
    }
    if (s.what !=
        kind::barrier) {  // a watermark, or an ended channel that no longer holds one back
      update_input_watermark();
      if (phase_ != phase::running) return;
    }
  }
  if (!chain_->is_source() && inputs_.all_ended() && !blocked() && step_ == watermark_step::none)
    end_stream();
}

void task_actor::emit(uint32_t channel, owned<detail::record_batch> owned_batch) {
  auto batch = detail::to_shared(std::move(owned_batch));
  stats_.records_out += batch->size();
  ++stats_.batches_out;
  outputs_.push(channel, channel_item::of_batch(std::move(batch)));
}

void task_actor::end_stream() {
  // Event time ends before the operators finish: every pending event-time
  // result comes out first, in steps as the outputs have room.
  if (!guarded([&] { chain_->advance_watermark(max_timestamp, timers_per_call()); })) return;
  step_ = watermark_step::end;
  continue_watermark_step();
}

bool task_actor::finish_stream() {
  if (!guarded([&] { chain_->finish(); })) return false;
  phase_ = phase::draining;
  outputs_.push_all(channel_item::end_of_stream());
  maybe_ended();
  return true;
}

void task_actor::maybe_ended() {
  if (phase_ != phase::draining || blocked() || !outputs_.drained()) return;
  phase_ = phase::ended;
  stats_.backpressured_ns = static_cast<uint64_t>(outputs_.blocked_time().count());
  send(setup_.master, ended_atom::value, setup_.task_index, stats_);
}

void task_actor::fail(const status& st) {
  if (phase_ == phase::done) return;
  publish_metrics();
  phase_ = phase::done;
  auto task = chain_ ? chain_->info().task_name : "task " + std::to_string(setup_.task_index);
  NAGARE_LOG(info, "task") << task << " failed: " << st.message();
  send(setup_.master, failed_atom::value, setup_.task_index,
       status(st.code(), "task '" + task + "' failed: " + st.message()));
  quit(caf::exit_reason::user_shutdown);
}

}  // namespace nagare
