// The asynchronous operator (nagare/async.hpp) driven directly: requests
// completed by a test "server" from another thread, in any order, with
// timeouts, retries, failure actions, watermarks and checkpoints.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include "nagare/detail/async_operator.hpp"
#include "nagare/detail/operator_failure.hpp"
#include "nagare/detail/snapshot.hpp"
#include "nagare/sink.hpp"

namespace nagare {
namespace {

// The requests an operator started, to be answered by the test.
struct server {
  struct request {
    int value;
    async_result<int> done;
  };
  std::mutex mutex;
  std::deque<request> open;
  std::vector<int> started;  // every attempt, in order

  void take(int v, async_result<int> done) {
    std::lock_guard<std::mutex> lock(mutex);
    started.push_back(v);
    open.push_back({v, std::move(done)});
  }
  std::deque<request> drain() {
    std::lock_guard<std::mutex> lock(mutex);
    return std::exchange(open, {});
  }
};

struct handler {
  std::shared_ptr<server> s;
  void start(const int& v, async_result<int> done) { s->take(v, std::move(done)); }
  void finish(int&&, int&& r, collector<int>& out) { out.emit(r); }
};

struct sink_port : detail::input_port<int> {
  void push(int& r) override { got.push_back(r); }
  std::vector<int> got;
};

using op_type = detail::async_operator<int, int, int, handler>;

struct fixture {
  explicit fixture(async_options opts, int fallback = -1)
      : srv(std::make_shared<server>()), op(handler{srv}, std::move(opts), fallback, "test") {
    op.connect(static_cast<detail::input_port<int>*>(&port));
    subtask_info info;
    info.task_name = "t (1/1)";
    EXPECT_TRUE(op.open(info).ok());
    EXPECT_TRUE(op.restore({}, info).ok());
  }
  void push(int v) { static_cast<detail::input_port<int>&>(op).push(v); }
  std::shared_ptr<server> srv;
  op_type op;
  sink_port port;
  int64_t now = 1000;
  void step(int64_t advance = 0) {
    now += advance;
    op.async_step(now);
  }
};

TEST(async_operator, ordered_results_keep_input_order_whatever_the_completion_order) {
  fixture f(async_options().capacity(10));
  for (int i = 0; i < 5; ++i) f.push(i);
  auto reqs = f.srv->drain();
  ASSERT_EQ(reqs.size(), 5u);
  // Completed from another thread, last first.
  std::thread t([&] {
    for (auto it = reqs.rbegin(); it != reqs.rend(); ++it) it->done.complete(it->value * 10);
  });
  t.join();
  f.step();
  EXPECT_EQ(f.port.got, (std::vector<int>{0, 10, 20, 30, 40}));
  EXPECT_FALSE(f.op.async_pending());
}

TEST(async_operator, unordered_results_come_as_they_complete) {
  fixture f(async_options().capacity(10).unordered());
  for (int i = 0; i < 3; ++i) f.push(i);
  auto reqs = f.srv->drain();
  reqs[2].done.complete(2);
  f.step();
  EXPECT_EQ(f.port.got, (std::vector<int>{2}));
  reqs[0].done.complete(0);
  reqs[1].done.complete(1);
  f.step();
  EXPECT_EQ(f.port.got, (std::vector<int>{2, 0, 1}));
}

TEST(async_operator, capacity_bounds_requests_in_flight) {
  fixture f(async_options().capacity(2));
  for (int i = 0; i < 5; ++i) f.push(i);
  EXPECT_TRUE(f.op.input_blocked());
  EXPECT_EQ(f.srv->started, (std::vector<int>{0, 1}));  // the rest wait
  for (int round = 0; round < 3; ++round) {
    for (auto& r : f.srv->drain()) r.done.complete(r.value);
    f.step();
  }
  EXPECT_EQ(f.port.got, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(f.op.input_blocked());
}

TEST(async_operator, a_watermark_waits_for_every_record_before_it) {
  fixture f(async_options().capacity(10).unordered());
  f.push(1);
  f.push(2);
  EXPECT_FALSE(f.op.on_watermark(100, 1000));
  EXPECT_TRUE(f.op.input_blocked());  // nothing passes the watermark
  auto reqs = f.srv->drain();
  reqs[1].done.complete(2);
  f.step();
  EXPECT_FALSE(f.op.on_watermark(100, 1000));
  reqs[0].done.complete(1);
  f.step();
  EXPECT_EQ(f.port.got, (std::vector<int>{2, 1}));
  EXPECT_TRUE(f.op.on_watermark(100, 1000));
  EXPECT_FALSE(f.op.input_blocked());
}

TEST(async_operator, a_timed_out_attempt_is_retried_and_its_late_answer_ignored) {
  fixture f(async_options().timeout_ms(50).retry(retry_policy::fixed(3, 10)));
  f.push(7);
  auto first = f.srv->drain();
  f.step(60);  // timed out: a retry in 10 ms
  EXPECT_TRUE(f.srv->drain().empty());
  f.step(10);
  auto second = f.srv->drain();
  ASSERT_EQ(second.size(), 1u);
  first[0].done.complete(1);  // the stale attempt
  f.step();
  EXPECT_TRUE(f.port.got.empty());
  second[0].done.complete(70);
  f.step();
  EXPECT_EQ(f.port.got, (std::vector<int>{70}));
  EXPECT_EQ(f.srv->started, (std::vector<int>{7, 7}));
}

TEST(async_operator, exponential_backoff_doubles_up_to_its_bound) {
  auto p = retry_policy::exponential(6, 10, 50);
  EXPECT_EQ(p.delay_after(1), 10u);
  EXPECT_EQ(p.delay_after(2), 20u);
  EXPECT_EQ(p.delay_after(3), 40u);
  EXPECT_EQ(p.delay_after(4), 50u);
  EXPECT_EQ(p.delay_after(5), 50u);
}

TEST(async_operator, the_last_failure_fails_the_task_by_default) {
  fixture f(async_options().retry(retry_policy::fixed(2, 0)));
  f.push(1);
  f.srv->drain()[0].done.fail(status(errc::unavailable, "connection refused"));
  f.step(1);
  auto retry = f.srv->drain();
  ASSERT_EQ(retry.size(), 1u);
  retry[0].done.fail(status(errc::unavailable, "connection refused"));
  try {
    f.step(1);
    FAIL() << "no failure";
  } catch (const detail::operator_failure& e) {
    EXPECT_EQ(e.st.message(), "test: a request failed after 2 attempt(s): connection refused");
  }
}

TEST(async_operator, failures_can_emit_the_fallback_or_become_dead_letters) {
  fixture fallback(async_options().on_failure(failure_action::emit_default), 99);
  fallback.push(1);
  fallback.srv->drain()[0].done.fail(status(errc::unavailable, "down"));
  fallback.step();
  EXPECT_EQ(fallback.port.got, (std::vector<int>{99}));

  fixture letters(async_options().on_failure(failure_action::dead_letter));
  letters.push(1);
  letters.push(2);
  auto reqs = letters.srv->drain();
  reqs[0].done.fail(status(errc::unavailable, "down"));
  reqs[1].done.complete(20);
  letters.step();
  EXPECT_EQ(letters.port.got, (std::vector<int>{20}));
  EXPECT_EQ(letters.op.dead_letters(), 1u);
}

TEST(async_operator, requests_in_flight_at_a_checkpoint_start_again_after_a_restore) {
  detail::operator_snapshot snap;
  {
    fixture f(async_options().capacity(2));
    for (int i = 0; i < 4; ++i) f.push(i);  // 0 and 1 in flight, 2 and 3 waiting
    auto reqs = f.srv->drain();
    reqs[0].done.complete(0);
    f.step();
    EXPECT_EQ(f.port.got, (std::vector<int>{0}));
    f.op.snapshot(snap);  // 1 in flight, 2 started now, 3 waiting
    snap.checkpoint = 1;
  }
  // Two subtasks restore: each starts its share, every record once.
  std::vector<int> restarted;
  for (uint32_t s = 0; s < 2; ++s) {
    auto srv = std::make_shared<server>();
    op_type op(handler{srv}, async_options().capacity(10), -1, "test");
    sink_port port;
    op.connect(static_cast<detail::input_port<int>*>(&port));
    subtask_info info;
    info.subtask = s;
    info.parallelism = 2;
    ASSERT_TRUE(op.open(info).ok());
    ASSERT_TRUE(op.restore({snap}, info).ok());
    EXPECT_TRUE(op.async_pending());
    op.async_step(1000);
    for (auto& r : srv->drain()) r.done.complete(r.value);
    op.async_step(1000);
    restarted.insert(restarted.end(), port.got.begin(), port.got.end());
  }
  std::sort(restarted.begin(), restarted.end());
  EXPECT_EQ(restarted, (std::vector<int>{1, 2, 3}));
}

TEST(async_operator, restored_requests_start_before_new_records) {
  detail::operator_snapshot snap;
  {
    fixture f(async_options().capacity(4));
    f.push(1);
    f.push(2);
    f.op.snapshot(snap);
    snap.checkpoint = 1;
  }
  auto srv = std::make_shared<server>();
  op_type op(handler{srv}, async_options().capacity(4), -1, "test");
  sink_port port;
  op.connect(static_cast<detail::input_port<int>*>(&port));
  subtask_info info;
  ASSERT_TRUE(op.open(info).ok());
  ASSERT_TRUE(op.restore({snap}, info).ok());
  int v = 3;
  static_cast<detail::input_port<int>&>(op).push(v);  // before any tick started 1 and 2
  EXPECT_EQ(srv->started, (std::vector<int>{1, 2, 3}));
  for (auto& r : srv->drain()) r.done.complete(r.value);
  op.async_step(0);
  EXPECT_EQ(port.got, (std::vector<int>{1, 2, 3}));
}

TEST(async_operator, a_waker_is_called_for_completions_from_other_threads_only) {
  struct counting_waker : detail::async_waker {
    std::atomic<int> wakes{0};
    void wake() override { ++wakes; }
  };
  auto waker = std::make_shared<counting_waker>();
  struct sync_handler {
    void start(const int& v, async_result<int> done) {
      if (v % 2 == 0)
        done.complete(v);  // at once: no wake needed
      else
        later->push_back(std::move(done));
    }
    void finish(int&&, int&& r, collector<int>& out) { out.emit(r); }
    std::shared_ptr<std::vector<async_result<int>>> later;
  };
  auto later = std::make_shared<std::vector<async_result<int>>>();
  detail::async_operator<int, int, int, sync_handler> op(sync_handler{later}, async_options(), 0,
                                                         "t");
  sink_port port;
  op.connect(static_cast<detail::input_port<int>*>(&port));
  subtask_info info;
  info.waker = waker;
  ASSERT_TRUE(op.open(info).ok());
  int v = 2;
  static_cast<detail::input_port<int>&>(op).push(v);
  EXPECT_EQ(port.got, (std::vector<int>{2}));  // emitted from push itself
  EXPECT_EQ(waker->wakes, 0);
  v = 3;
  static_cast<detail::input_port<int>&>(op).push(v);
  std::thread([&] { (*later)[0].complete(3); }).join();
  EXPECT_EQ(waker->wakes, 1);
  op.async_step(0);
  EXPECT_EQ(port.got, (std::vector<int>{2, 3}));
}

}  // namespace
}  // namespace nagare
