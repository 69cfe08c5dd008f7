// Asynchronous I/O in a stream: an operator that starts a request per record
// (a database query, an HTTP call) and emits the record's result when the
// request completes, with many requests in flight per subtask and the task
// thread never waiting on one.
//
//   auto enriched = orders.async_map<enriched_order>(
//       [client](const order& o, nagare::async_result<enriched_order> done) {
//         client->get(o.customer, [o, done](std::string region) mutable {
//           done.complete({o, std::move(region)});   // any thread, once
//         });
//       },
//       nagare::async_options()
//           .capacity(500)                            // requests in flight per subtask
//           .unordered()                              // emit as they complete
//           .timeout_ms(2000)
//           .retry(nagare::retry_policy::exponential(4, 50, 2000))
//           .on_failure(nagare::failure_action::dead_letter)
//           .dead_letters(nagare::file_sink<nagare::dead_letter>(dir)));
//
// The start function runs on the task's thread, once per attempt; it must
// not block. It completes the request through the async_result it gets, from
// any thread, at most once: complete(value) or fail(status). A copy of the
// handle may be kept; completing a request whose attempt timed out (or that a
// restart made stale) does nothing.
//
// Guarantees:
//   - At most capacity() requests are in flight per subtask; records beyond
//     wait (the task stops taking input while the operator is full).
//   - ordered() (the default) emits results in input order; unordered()
//     emits each as it completes, but never lets a record pass a watermark
//     that came after it: a watermark waits until every record before it is
//     out (so windows downstream see the same records either way).
//   - A request that neither completes nor fails within timeout_ms() fails;
//     a failed attempt is retried as retry() says; after the last attempt the
//     record meets on_failure(): fail the task (the job restarts from its
//     latest checkpoint), a dead letter (nagare/dead_letter.hpp; to
//     dead_letters(sink) if given, else counted and reported on standard
//     error), or emit_default (the fallback value given to async_map).
//   - Records in flight at a checkpoint barrier are part of the checkpoint:
//     a restore starts their requests again, so nothing is lost and, with an
//     exactly-once sink, nothing is written twice.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "nagare/dead_letter.hpp"
#include "nagare/function.hpp"
#include "nagare/owned.hpp"
#include "nagare/sink.hpp"
#include "nagare/status.hpp"

namespace nagare {

// When a failed attempt is tried again: after delay_ms, multiplied by
// `multiplier` after each failure up to max_delay_ms, at most max_attempts
// attempts in all (1: no retry).
struct retry_policy {
  uint32_t max_attempts = 1;
  uint32_t delay_ms = 0;
  double multiplier = 1.0;
  uint32_t max_delay_ms = 0;

  static retry_policy none() { return {}; }
  static retry_policy fixed(uint32_t attempts, uint32_t delay_ms) {
    return {attempts, delay_ms, 1.0, delay_ms};
  }
  static retry_policy exponential(uint32_t attempts, uint32_t first_delay_ms,
                                  uint32_t max_delay_ms, double multiplier = 2.0) {
    return {attempts, first_delay_ms, multiplier, max_delay_ms};
  }
  // The delay before attempt `attempt` + 1 (attempt >= 1 failed).
  uint32_t delay_after(uint32_t attempt) const {
    double d = delay_ms;
    for (uint32_t i = 1; i < attempt && d < max_delay_ms; ++i) d *= multiplier;
    return d > max_delay_ms ? max_delay_ms : static_cast<uint32_t>(d);
  }
};

// What becomes of a record whose last attempt failed.
enum class failure_action : uint8_t { fail_task, dead_letter, emit_default };

class async_options {
 public:
  async_options& capacity(uint32_t n) {
    capacity_ = n == 0 ? 1 : n;
    return *this;
  }
  async_options& ordered() {
    ordered_ = true;
    return *this;
  }
  async_options& unordered() {
    ordered_ = false;
    return *this;
  }
  // 0: no timeout.
  async_options& timeout_ms(uint32_t ms) {
    timeout_ms_ = ms;
    return *this;
  }
  async_options& retry(retry_policy p) {
    retry_ = p;
    if (retry_.max_attempts == 0) retry_.max_attempts = 1;
    return *this;
  }
  async_options& on_failure(failure_action a) {
    on_failure_ = a;
    return *this;
  }
  // Where failure_action::dead_letter sends records: any sink descriptor of
  // dead_letter, run chained in the operator's task and part of its
  // checkpoints (file_sink: each dead letter written once across failures).
  template <class Sink>
  async_options& dead_letters(Sink sink) {
    static_assert(std::is_same_v<typename Sink::record_type, dead_letter>,
                  "dead_letters(): the sink must take nagare::dead_letter records");
    make_letters_ = [sink] { return sink.create(); };
    validate_letters_ = [sink] { return sink.validate(); };
    return *this;
  }

  uint32_t capacity() const { return capacity_; }
  bool is_ordered() const { return ordered_; }
  uint32_t timeout() const { return timeout_ms_; }
  const retry_policy& retries() const { return retry_; }
  failure_action failure() const { return on_failure_; }
  owned<sink<dead_letter>> make_dead_letter_sink() const {
    return make_letters_ ? make_letters_() : nullptr;
  }
  status validate() const {
    if (validate_letters_) return validate_letters_();
    return {};
  }

 private:
  uint32_t capacity_ = 100;
  bool ordered_ = true;
  uint32_t timeout_ms_ = 0;
  retry_policy retry_;
  failure_action on_failure_ = failure_action::fail_task;
  function<owned<sink<dead_letter>>()> make_letters_;
  function<status()> validate_letters_;
};

namespace detail {

// Wakes a task from another thread (the runtime's implementation sends the
// task a message). Wakes that come while one is pending may be merged.
class async_waker {
 public:
  virtual ~async_waker() = default;
  virtual void wake() = 0;
};

// Where completions of one operator instance's requests meet its task:
// producers on any thread append, the task takes them all at once. A
// completion made by the task's own thread inside a start function (a cache
// hit) takes no lock and needs no wake.
template <class R>
class completion_queue {
 public:
  struct completion {
    uint32_t slot;
    uint32_t attempt;
    bool ok;
    R value;
    status error;
  };

  explicit completion_queue(std::shared_ptr<async_waker> waker) : waker_(std::move(waker)) {}

  void push(completion c) {
    if (starting_.load() && starter_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
      inline_.push_back(std::move(c));
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      items_.push_back(std::move(c));
      size_.store(items_.size());
    }
    // The task looks at the queue itself right after a start function
    // returns. (Sequentially consistent: of this store of size_ and load of
    // starting_, and the task's store of starting_ and load of size_, one
    // side sees the other's store, so a completion is never left unseen.)
    if (!starting_.load() && waker_) waker_->wake();
  }
  // The task's thread only.
  bool empty() const {
    return inline_.empty() && size_.load() == 0;
  }
  // Moves every completion into `out` (cleared first). The task's thread only.
  void take(std::vector<completion>& out) {
    out.clear();
    out.swap(inline_);
    if (size_.load() == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& c : items_) out.push_back(std::move(c));
    items_.clear();
    size_.store(0);
  }
  // Set by the task around a start function (completions it makes need no wake).
  void starting(bool on) {
    if (on) starter_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    starting_.store(on);
  }

 private:
  std::mutex mutex_;
  std::vector<completion> items_;  // from other threads, under mutex_
  std::atomic<size_t> size_{0};
  std::vector<completion> inline_;  // from the task's thread inside a start function
  std::atomic<bool> starting_{false};
  std::atomic<std::thread::id> starter_{};
  std::shared_ptr<async_waker> waker_;
};

}  // namespace detail

// The completion handle of one attempt of one request (copyable, any thread).
template <class R>
class async_result {
 public:
  async_result() = default;
  async_result(std::shared_ptr<detail::completion_queue<R>> q, uint32_t slot, uint32_t attempt)
      : queue_(std::move(q)), slot_(slot), attempt_(attempt) {}

  void complete(R value) {
    if (auto q = take()) q->push({slot_, attempt_, true, std::move(value), {}});
  }
  void fail(status error) {
    if (auto q = take()) q->push({slot_, attempt_, false, R{}, std::move(error)});
  }

 private:
  std::shared_ptr<detail::completion_queue<R>> take() { return std::move(queue_); }
  std::shared_ptr<detail::completion_queue<R>> queue_;
  uint32_t slot_ = 0;
  uint32_t attempt_ = 0;
};

}  // namespace nagare
