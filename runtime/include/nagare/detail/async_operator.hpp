// The operator behind data_stream::async_map and lookup (nagare/async.hpp
// says what users see). Per subtask it keeps up to capacity() requests in
// slots; a record that finds every slot taken waits in an overflow queue
// (at most one input batch: the task stops giving input while the operator
// is full, input_blocked()). Completions arrive through a completion queue
// from any thread; the task takes them in async_step() when the waker wakes
// it, and right after a start function that completed at once (a cache hit)
// without a wake.
//
// The handler H (one copy per subtask) has
//   void start(const In&, async_result<R>)         one attempt of a request
//   void finish(In&&, R&&, collector<Out>&)        its result, on the task thread
// and may have open(const subtask_info&) -> status and close() -> status,
// which the operator calls with its own.
//
// State: the inputs of every request not yet emitted (in flight, waiting for
// a retry, completed but held back by order, overflow), as the operator list
// "async.pending" (even split on a restore: each is started once, by one
// subtask); the dead-letter sink's pending transactions ("async.letters").
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/async.hpp"
#include "nagare/collector.hpp"
#include "nagare/detail/one_input_operator.hpp"
#include "nagare/detail/operator_state.hpp"
#include "nagare/sink.hpp"

namespace nagare::detail {

template <class F, class = void>
struct has_open_close : std::false_type {};
template <class F>
struct has_open_close<F, std::void_t<decltype(std::declval<F&>().open(
                             std::declval<const subtask_info&>())),
                                     decltype(std::declval<F&>().close())>> : std::true_type {};

template <class T, class = void>
struct has_format_record : std::false_type {};
template <class T>
struct has_format_record<T, std::void_t<decltype(format_record(std::declval<const T&>(),
                                                               std::declval<std::string&>()))>>
    : std::true_type {};

inline constexpr const char* failed_requests = "records whose requests failed";

template <class In, class Out, class R, class H>
class async_operator final : public one_input_operator<In, Out> {
 public:
  async_operator(H handler, async_options opts, R fallback, std::string name)
      : handler_(std::move(handler)),
        opts_(std::move(opts)),
        fallback_(std::move(fallback)),
        name_(std::move(name)) {}

  status open(const subtask_info& info) override {
    info_ = info;
    queue_ = std::make_shared<completion_queue<R>>(info.waker);
    slots_.assign(opts_.capacity(), slot{});
    free_.clear();
    for (uint32_t i = opts_.capacity(); i-- > 0;) free_.push_back(i);
    ops_.reset();
    pending_ = ops_.declare<In>("async.pending", redistribution::even_split);
    letter_txns_ = ops_.declare<std::string>("async.letters", redistribution::union_all);
    letters_ = opts_.make_dead_letter_sink();
    if (letters_)
      if (auto st = letters_->open(info); !st.ok()) return st;
    if constexpr (has_open_close<H>::value)
      if (auto st = handler_.open(info); !st.ok()) return st;
    return {};
  }

  status close() override {
    status first;
    if constexpr (has_open_close<H>::value) first = handler_.close();
    if (dead_letters_ > 0)
      report_dead_letters(info_.task_name + " " + name_, dead_letters_,
                          letters_ ? "sent to the dead-letter output" : "dropped", nullptr,
                          failed_requests);
    if (letters_) {
      auto st = letters_->close();
      if (first.ok()) first = st;
    }
    return first;
  }

  void push(In& r) override {
    if (free_.empty() || !overflow_.empty()) {  // behind those waiting (restored ones)
      overflow_.push_back(std::move(r));
      start_overflow();
      return;
    }
    begin(std::move(r));
    if (!queue_->empty()) take_completions();
  }

  void on_processing_time(int64_t now) override { now_ = std::max(now_, now); }

  bool input_blocked() const override {
    return free_.empty() || (holding_watermark_ && in_flight() > 0);
  }
  bool async_pending() const override { return in_flight() > 0 || !overflow_.empty(); }
  void async_step(int64_t now) override {
    now_ = std::max(now_, now);
    take_completions();
    if (now_ >= next_scan_) scan_deadlines();
    start_overflow();
  }

  // Records before the watermark leave before it: it waits until every
  // request is out (the task gives no input meanwhile).
  bool on_watermark(int64_t, size_t) override {
    take_completions();
    holding_watermark_ = in_flight() > 0 || !overflow_.empty();
    return !holding_watermark_;
  }

  void finish() override {
    if (in_flight() > 0 || !overflow_.empty())
      throw_failure(status(errc::internal, name_ + ": input ended with requests in flight"));
  }

  status prepare_checkpoint(uint64_t id) override {
    return letters_ ? letters_->pre_commit(id) : status{};
  }
  status checkpoint_complete(uint64_t id) override {
    return letters_ ? letters_->commit(id) : status{};
  }

  void snapshot(operator_snapshot& out) const override {
    std::vector<In> inputs;
    inputs.reserve(in_flight() + overflow_.size());
    if (opts_.is_ordered()) {
      for (auto s : order_) inputs.push_back(slots_[s].input);
    } else {
      for (const auto& s : slots_)
        if (s.state != slot_state::empty) inputs.push_back(s.input);
    }
    for (const auto& r : overflow_) inputs.push_back(r);
    operator_list<In>::write(pending_->name(), inputs, entries_of(out));
    if (letters_) {
      std::vector<std::string> txns;
      letters_->pending(txns);
      operator_list<std::string>::write(letter_txns_->name(), txns, entries_of(out));
    }
  }

  // The inputs this subtask gets start again (at the first input or tick).
  status restore(const std::vector<operator_snapshot>& previous,
                 const subtask_info& info) override {
    if (previous.empty()) return letters_ ? letters_->recover({}, 0, info) : status{};
    auto st = gather_entries(previous, name_.c_str(), nullptr);
    if (!st.ok()) return st;
    st = ops_.restore(previous, info.subtask, info.parallelism);
    if (!st.ok()) return st;
    for (auto& r : pending_->items) overflow_.push_back(std::move(r));
    pending_->clear();
    if (!letters_ && !letter_txns_->items.empty())
      return status::invalid_argument(name_ +
                                      ": the snapshot holds dead letters to commit but the "
                                      "operator has no dead-letter output");
    if (letters_)
      st = letters_->recover(letter_txns_->items, static_cast<uint32_t>(snapshot_count(previous)),
                             info);
    letter_txns_->clear();
    return st;
  }

  // Records that met failure_action::dead_letter since this instance opened.
  uint64_t dead_letters() const { return dead_letters_; }
  const H& handler() const { return handler_; }

 private:
  enum class slot_state : uint8_t { empty, running, waiting, done, failed };
  struct slot {
    In input{};
    R value{};
    status error;
    uint32_t attempt = 0;
    int64_t deadline = std::numeric_limits<int64_t>::max();  // running: the timeout
    int64_t retry_at = 0;                                    // waiting: the next attempt
    slot_state state = slot_state::empty;
  };

  size_t in_flight() const { return slots_.size() - free_.size(); }

  void begin(In&& r) {
    uint32_t s = free_.back();
    free_.pop_back();
    slots_[s].input = std::move(r);
    slots_[s].attempt = 0;
    if (opts_.is_ordered()) order_.push_back(s);
    attempt(s);
  }

  void attempt(uint32_t s) {
    auto& e = slots_[s];
    ++e.attempt;
    e.state = slot_state::running;
    e.deadline = opts_.timeout() > 0 ? now_ + opts_.timeout() : std::numeric_limits<int64_t>::max();
    next_scan_ = std::min(next_scan_, e.deadline);
    queue_->starting(true);
    try {
      handler_.start(static_cast<const In&>(e.input), async_result<R>(queue_, s, e.attempt));
    } catch (...) {
      queue_->starting(false);
      throw;
    }
    queue_->starting(false);
  }

  void take_completions() {
    if (queue_->empty()) return;
    queue_->take(completions_);
    for (auto& c : completions_) {
      auto& e = slots_[c.slot];
      if (e.state != slot_state::running || e.attempt != c.attempt) continue;  // stale
      if (c.ok) {
        e.value = std::move(c.value);
        e.state = slot_state::done;
        ready(c.slot);
      } else {
        failed_attempt(c.slot, std::move(c.error));
      }
    }
    completions_.clear();
    emit_ready();
    start_overflow();
  }

  void failed_attempt(uint32_t s, status error) {
    auto& e = slots_[s];
    if (e.attempt < opts_.retries().max_attempts) {
      e.state = slot_state::waiting;
      e.retry_at = now_ + opts_.retries().delay_after(e.attempt);
      next_scan_ = std::min(next_scan_, e.retry_at);
      return;
    }
    switch (opts_.failure()) {
      case failure_action::fail_task:
        throw_failure(status(error.code(), name_ + ": a request failed after " +
                                               std::to_string(e.attempt) + " attempt(s): " +
                                               error.message()));
      case failure_action::dead_letter:
        e.error = std::move(error);
        e.state = slot_state::failed;
        break;
      case failure_action::emit_default:
        e.value = fallback_;
        e.state = slot_state::done;
        break;
    }
    ready(s);
  }

  void ready(uint32_t s) {
    if (!opts_.is_ordered()) ready_.push_back(s);
  }

  void emit_ready() {
    if (opts_.is_ordered()) {
      while (!order_.empty()) {
        auto s = order_.front();
        auto st = slots_[s].state;
        if (st != slot_state::done && st != slot_state::failed) break;
        order_.pop_front();
        emit(s);
      }
      return;
    }
    for (size_t i = 0; i < ready_.size(); ++i) emit(ready_[i]);
    ready_.clear();
  }

  void emit(uint32_t s) {
    auto& e = slots_[s];
    if (e.state == slot_state::done) {
      collector<Out> out(this->next_);
      handler_.finish(std::move(e.input), std::move(e.value), out);
    } else {
      dead_letter(e);
    }
    e = slot{};
    free_.push_back(s);
  }

  void dead_letter(slot& e) {
    ++dead_letters_;
    nagare::dead_letter d;
    d.split = name_;
    d.reason = e.error.message();
    if constexpr (has_format_record<In>::value) format_record(e.input, d.record);
    if (letters_) {
      auto st = letters_->write(d);
      if (!st.ok()) throw_failure(std::move(st));
      return;
    }
    // Counted and shown for the 1st, 10th, 100th, ...
    uint64_t n = dead_letters_;
    while (n % 10 == 0) n /= 10;
    if (n == 1)
      report_dead_letters(info_.task_name + " " + name_, dead_letters_, "dropped", &d,
                          failed_requests);
  }

  void start_overflow() {
    while (!free_.empty() && !overflow_.empty()) {
      In r = std::move(overflow_.front());
      overflow_.pop_front();
      begin(std::move(r));
    }
    if (!queue_->empty()) take_completions();
  }

  // Times out requests past their deadline and starts the retries that are
  // due; looks again when the next one is due (at most every 5 ms).
  void scan_deadlines() {
    int64_t next = std::numeric_limits<int64_t>::max();
    for (uint32_t s = 0; s < slots_.size(); ++s) {
      auto& e = slots_[s];
      if (e.state == slot_state::running) {
        if (e.deadline <= now_)
          failed_attempt(s, status(errc::unavailable, "timed out after " +
                                                          std::to_string(opts_.timeout()) + " ms"));
        else
          next = std::min(next, e.deadline);
      }
      if (e.state == slot_state::waiting) {
        if (e.retry_at <= now_)
          attempt(s);
        else
          next = std::min(next, e.retry_at);
      }
    }
    next_scan_ = std::max(next, now_ + 5);
    emit_ready();
  }

  H handler_;
  async_options opts_;
  R fallback_;
  std::string name_;
  subtask_info info_;
  std::shared_ptr<completion_queue<R>> queue_;
  std::vector<slot> slots_;
  std::vector<uint32_t> free_;
  std::deque<uint32_t> order_;   // ordered: the taken slots in input order
  std::vector<uint32_t> ready_;  // unordered: completed, not yet emitted
  std::deque<In> overflow_;
  std::vector<typename completion_queue<R>::completion> completions_;
  owned<sink<nagare::dead_letter>> letters_;
  operator_state ops_;
  operator_list<In>* pending_ = nullptr;
  operator_list<std::string>* letter_txns_ = nullptr;
  uint64_t dead_letters_ = 0;
  int64_t now_ = 0;
  int64_t next_scan_ = 0;
  bool holding_watermark_ = false;
};

}  // namespace nagare::detail

namespace nagare::detail {

// data_stream::async_map's handler: the user's start function; the result is
// the output record.
template <class In, class Out, class Start>
struct async_map_handler {
  Start start_fn;
  void start(const In& r, async_result<Out> done) { start_fn(r, std::move(done)); }
  void finish(In&&, Out&& r, collector<Out>& out) { out.emit(std::move(r)); }
};

}  // namespace nagare::detail
