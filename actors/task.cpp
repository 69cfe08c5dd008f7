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

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

task_actor::task_actor(caf::actor_config& cfg, task_setup setup)
    : caf::event_based_actor(cfg), setup_(std::move(setup)) {}

task_actor::~task_actor() = default;

void task_actor::on_exit() {
  inputs_.clear();
  outputs_.clear();
  setup_.master = nullptr;
  setup_.store = nullptr;
  chain_.reset();
}

caf::behavior task_actor::make_behavior() {
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
      [this](eos_atom, uint32_t channel) { on_eos(channel); },
      [this](barrier_atom, uint32_t channel, uint64_t id) {
        if (channel >= inputs_.size())
          return fail(status(errc::internal, "barrier on unknown channel"));
        inputs_[channel].queue.push_back(item{nullptr, id});
        run();
      },
      [this](watermark_atom, uint32_t channel, int64_t wm, bool idle) {
        if (channel >= inputs_.size())
          return fail(status(errc::internal, "watermark on unknown channel"));
        inputs_[channel].queue.push_back(item::of_watermark(wm, idle));
        run();
      },
      [this](tick_atom) { on_tick(); },
      [this](trigger_atom, uint64_t id) { on_trigger(id); },
      [this](complete_atom, uint64_t id, bool last) { on_complete(id, last); },
      [this](poll_atom) { on_poll(); },
      [this](status_atom) { return status_info(); },
      [this](flush_atom) {
        if (phase_ != phase::running) return;
        guarded([&] { chain_->flush(); });
        delayed_send(this, std::chrono::milliseconds(setup_.linger_ms), flush_atom::value);
      },
  };
}

caf::typed_response_promise<status, damaged_snapshot> task_actor::on_connect(task_wiring& w) {
  outputs_.resize(w.outputs.size());
  for (size_t i = 0; i < w.outputs.size(); ++i) {
    outputs_[i].downstream = w.outputs[i];
    outputs_[i].downstream_channel = w.output_channels[i];
  }
  inputs_.resize(w.inputs.size());
  for (size_t i = 0; i < w.inputs.size(); ++i) {
    inputs_[i].upstream = w.inputs[i];
    inputs_[i].upstream_channel = w.input_channels[i];
    inputs_[i].gate = setup_.input_gates[i];
  }
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
  for (auto& in : inputs_)
    send(in.upstream, credit_atom::value, in.upstream_channel, setup_.channel_credit);
  if (restored_finished_) {
    // Its input had ended and its output was complete when the checkpoint was
    // taken: end again without emitting anything.
    phase_ = phase::draining;
    enqueue_all(item{});
    return maybe_ended();
  }
  if (!outputs_.empty())
    delayed_send(this, std::chrono::milliseconds(setup_.linger_ms), flush_atom::value);
  if (!advance_processing_time()) return;
  if (chain_->is_source())
    schedule_poll();
  else
    run();
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
  for (const auto& out : outputs_) {
    info.credits.push_back(out.credit);
    info.queued_batches += out.queue.size();
  }
  for (const auto& in : inputs_) {
    info.input_queues.push_back(static_cast<uint32_t>(in.queue.size()));
    info.queued_batches += in.queue.size();
  }
  info.state_entries = chain_ ? chain_->state_entries() : 0;
  info.watermark = chain_ ? chain_->watermark() : min_timestamp;
  info.idle = idle_;
  return info;
}

void task_actor::on_batch(batch_message& m) {
  if (m.channel >= inputs_.size()) return fail(status(errc::internal, "batch on unknown channel"));
  auto& in = inputs_[m.channel];
  if (!m.records) {  // arrived from another process
    auto payload = decode_batch_header(m.wire);
    if (!payload.ok()) return fail(payload.error());
    result<std::shared_ptr<detail::record_batch>> decoded = status(errc::internal, "not decoded");
    if (!guarded([&] {
          decoded = chain_->decode(in.gate, payload->data, payload->size, payload->count);
        }))
      return;
    if (!decoded.ok()) return fail(decoded.error());
    m.records = std::move(decoded.value());
  }
  in.queue.push_back(item{std::move(m.records), 0});
  run();
}

void task_actor::on_eos(uint32_t channel) {
  if (channel >= inputs_.size())
    return fail(status(errc::internal, "end of stream on unknown channel"));
  inputs_[channel].queue.push_back(item{});
  run();
}

void task_actor::on_credit(uint32_t channel, uint32_t n) {
  if (channel >= outputs_.size() || phase_ == phase::done) return;
  outputs_[channel].credit += n;
  send_ready(outputs_[channel]);
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
  poll_scheduled_ = false;
  if (phase_ != phase::running || blocked()) return;
  if (!continue_watermark_step() || phase_ != phase::running) return;
  if (!advance_processing_time()) return;
  bool end = false;
  status polled;
  if (!guarded(
          [&] { polled = chain_->poll(chain_->info().batch_records, stats_.records_in, end); }))
    return;
  if (!polled.ok()) return fail(polled);
  if (end) return end_stream();
  update_source_watermark();
  schedule_poll();
}

void task_actor::update_source_watermark() {
  forward_watermark(chain_->source_watermark(), chain_->source_idle());
}

void task_actor::update_input_watermark() {
  int64_t wm = max_timestamp;
  bool open = false, active = false;
  for (const auto& in : inputs_) {
    if (in.ended) continue;
    open = true;
    if (in.idle) continue;
    active = true;
    wm = std::min(wm, in.watermark);
  }
  if (!open) return;  // every channel ended: end_stream() brings max_timestamp
  forward_watermark(wm, !active);
}

bool task_actor::forward_watermark(int64_t wm, bool idle) {
  if (idle) {
    if (idle_) return true;
    idle_ = true;
    // Records emitted before it still precede the status.
    if (!guarded([&] { chain_->flush(); })) return false;
    enqueue_all(item::of_watermark(chain_->watermark(), true));
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
    enqueue_all(item::of_watermark(chain_->watermark(), false));
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
    enqueue_all(item::of_watermark(chain_->watermark(), false));
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
        wants = chain_->wants_processing_time();
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
  if (blocked() || step_ != watermark_step::none) {  // no more output now: try again later
    tick_scheduled_ = true;
    delayed_send(this, tick_interval, tick_atom::value);
    return;
  }
  advance_processing_time();
}

void task_actor::run() {
  if (phase_ != phase::running) return;
  if (!continue_watermark_step() || phase_ != phase::running) return;
  size_t idle = 0;
  while (!blocked() && step_ == watermark_step::none && idle < inputs_.size()) {
    auto& in = inputs_[next_input_];
    next_input_ = next_input_ + 1 == inputs_.size() ? 0 : next_input_ + 1;
    if (in.queue.empty() || (in.aligned && !setup_.at_least_once)) {
      ++idle;
      continue;
    }
    idle = 0;
    auto it = std::move(in.queue.front());
    in.queue.pop_front();
    if (it.mark) {
      if (it.idle) {
        in.idle = true;
      } else {
        in.idle = false;
        in.watermark = std::max(in.watermark, it.watermark);
      }
      update_input_watermark();
      if (phase_ != phase::running) return;
      continue;
    }
    if (!it.batch) {
      if (it.barrier > 0) {
        on_barrier(static_cast<uint32_t>(&in - inputs_.data()), it.barrier);
        if (phase_ != phase::running) return;
        continue;
      }
      in.ended = true;
      ++ended_inputs_;
      check_alignment();  // an ended channel no longer holds a checkpoint back
      if (phase_ != phase::running) return;
      update_input_watermark();  // nor a watermark
      if (phase_ != phase::running) return;
      continue;
    }
    stats_.records_in += it.batch->size();
    ++stats_.batches_in;
    if (!advance_processing_time()) return;
    if (!guarded([&] { chain_->process(in.gate, *it.batch); })) return;
    send(in.upstream, credit_atom::value, in.upstream_channel, uint32_t{1});
  }
  if (!chain_->is_source() && ended_inputs_ == inputs_.size() && !blocked() &&
      step_ == watermark_step::none)
    end_stream();
}

void task_actor::emit(uint32_t channel, std::shared_ptr<detail::record_batch> batch) {
  auto& out = outputs_[channel];
  stats_.records_out += batch->size();
  ++stats_.batches_out;
  out.queue.push_back(item{std::move(batch), 0});
  send_ready(out);
}

void task_actor::enqueue_all(const item& it) {
  for (auto& out : outputs_) {
    out.queue.push_back(it);
    send_ready(out);
  }
}

void task_actor::send_ready(output_channel& out) {
  bool was_blocked = out.blocked;
  while (!out.queue.empty()) {
    auto& front = out.queue.front();
    if (front.batch) {
      if (out.credit == 0) break;
      --out.credit;
      send(out.downstream, batch_message{out.downstream_channel, std::move(front.batch), {}});
    } else if (front.mark) {
      send(out.downstream, watermark_atom::value, out.downstream_channel, front.watermark,
           front.idle);
    } else if (front.barrier > 0) {
      send(out.downstream, barrier_atom::value, out.downstream_channel, front.barrier);
    } else {
      send(out.downstream, eos_atom::value, out.downstream_channel);
    }
    out.queue.pop_front();
  }
  out.blocked = !out.queue.empty();
  if (out.blocked != was_blocked) out.blocked ? ++blocked_outputs_ : --blocked_outputs_;
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
  enqueue_all(item{});
  maybe_ended();
  return true;
}

void task_actor::maybe_ended() {
  if (phase_ != phase::draining || blocked()) return;
  for (auto& out : outputs_)
    if (!out.queue.empty()) return;
  phase_ = phase::ended;
  send(setup_.master, ended_atom::value, setup_.task_index, stats_);
}

void task_actor::fail(const status& st) {
  if (phase_ == phase::done) return;
  phase_ = phase::done;
  auto task = chain_ ? chain_->info().task_name : "task " + std::to_string(setup_.task_index);
  NAGARE_LOG(info, "task") << task << " failed: " << st.message();
  send(setup_.master, failed_atom::value, setup_.task_index,
       status(st.code(), "task '" + task + "' failed: " + st.message()));
  quit(caf::exit_reason::user_shutdown);
}

}  // namespace nagare
