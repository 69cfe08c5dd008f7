// The checkpoint coordinator without an actor system: a recording job_port
// stands in for the job master. Guards what the master relies on: one
// checkpoint in flight, requests queued in order and answered once, the
// final checkpoint, failures and the end of a job reaching every waiter,
// and where a restart restores from (recovery.hpp).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint_coordinator.hpp"
#include "recovery.hpp"

namespace nagare {
namespace {

using clock_type = checkpoint_coordinator::clock;
using std::chrono::milliseconds;

// Records what the coordinator asks of its master.
struct recording_port : job_port {
  bool is_running = true;
  bool ended = false;
  std::vector<uint64_t> triggered;
  std::vector<checkpoint_record> stores;
  std::vector<std::pair<uint64_t, bool>> completes;  // (id, last)

  bool running() const override { return is_running; }
  bool input_ended() const override { return ended; }
  void trigger(uint64_t id) override { triggered.push_back(id); }
  void store(const checkpoint_record& r, uint32_t) override { stores.push_back(r); }
  void complete(uint64_t id, bool last) override { completes.emplace_back(id, last); }
};

// What one waiter heard.
struct answer {
  int calls = 0;
  status st;
  checkpoint_info info;
  checkpoint_coordinator::waiter deliver() {
    return [this](const status& s, const checkpoint_info& i) {
      ++calls;
      st = s;
      info = i;
    };
  }
};

struct fixture {
  explicit fixture(uint32_t tasks = 2, uint32_t interval_ms = 0, uint32_t min_pause_ms = 0)
      : cc(7, submission(interval_ms, min_pause_ms), descriptions(tasks), port) {}

  static job_submission submission(uint32_t interval_ms, uint32_t min_pause_ms) {
    job_submission s;
    s.checkpoint_interval_ms = interval_ms;
    s.min_pause_ms = min_pause_ms;
    s.retained_checkpoints = 2;
    return s;
  }
  static std::vector<checkpoint_coordinator::task_description> descriptions(uint32_t n) {
    std::vector<checkpoint_coordinator::task_description> out;
    for (uint32_t t = 0; t < n; ++t) out.push_back({"chain", t});
    return out;
  }
  // Every task acknowledges `id`, and the store answers ok.
  void complete(uint64_t id, uint64_t bytes_per_task = 10) {
    auto now = clock_type::now();
    for (uint32_t t = 0; t < 2; ++t) {
      checkpoint_ack ack;
      ack.bytes = bytes_per_task;
      cc.acknowledge(t, id, ack, now);
    }
    ASSERT_FALSE(port.stores.empty());
    ASSERT_EQ(port.stores.back().id, id);
    cc.stored(id, port.stores.back(), status{}, now);
  }

  recording_port port;
  checkpoint_coordinator cc;
};

// Requests made while one is in flight wait for it, start in the order they
// came, and each waiter hears of its own checkpoint once.
TEST(checkpoint_coordinator, requests_queue_in_order_and_are_answered_once) {
  fixture f;
  answer a, b, c;
  f.cc.request(false, false, a.deliver());
  f.cc.request(true, false, b.deliver());
  f.cc.request(false, false, c.deliver());
  ASSERT_EQ(f.port.triggered, (std::vector<uint64_t>{1}));  // one in flight
  EXPECT_FALSE(f.cc.pending_is_savepoint());

  f.complete(1);
  EXPECT_EQ(a.calls, 1);
  EXPECT_TRUE(a.st.ok());
  EXPECT_EQ(a.info.id, 1u);
  EXPECT_EQ(a.info.status, checkpoint_status::completed);
  EXPECT_EQ(a.info.bytes, 20u);
  EXPECT_EQ(b.calls, 0);
  ASSERT_EQ(f.port.triggered, (std::vector<uint64_t>{1, 2}));  // the savepoint next
  EXPECT_TRUE(f.cc.pending_is_savepoint());

  f.complete(2);
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(b.info.kind, checkpoint_kind::savepoint);
  ASSERT_EQ(f.port.triggered, (std::vector<uint64_t>{1, 2, 3}));
  f.complete(3);
  EXPECT_EQ(c.calls, 1);
  EXPECT_EQ(c.info.id, 3u);
  EXPECT_EQ(a.calls, 1);  // never answered twice
  EXPECT_EQ(f.port.completes,
            (std::vector<std::pair<uint64_t, bool>>{{1, false}, {2, false}, {3, false}}));
  EXPECT_FALSE(f.cc.in_flight());
}

// A task's decline fails the checkpoint in flight with its code; the waiter
// hears it, the history keeps the reason, and the next request starts.
TEST(checkpoint_coordinator, a_failure_reaches_its_waiter_and_the_next_request_starts) {
  fixture f;
  answer a, b;
  f.cc.request(false, false, a.deliver());
  f.cc.request(false, false, b.deliver());
  f.cc.fail(1, status(errc::io_error, "disk full"), clock_type::now());
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(a.st.code(), errc::io_error);
  EXPECT_EQ(a.st.message(), "checkpoint 1 failed: disk full");
  ASSERT_EQ(f.port.triggered, (std::vector<uint64_t>{1, 2}));
  auto history = f.cc.history();
  ASSERT_EQ(history.size(), 2u);  // the failed one, and 2 in flight
  EXPECT_EQ(history[0].status, checkpoint_status::failed);
  EXPECT_EQ(history[0].reason, "disk full");
  EXPECT_EQ(history[0].tasks.size(), 2u);  // neither acknowledged: both listed
  EXPECT_EQ(history[1].status, checkpoint_status::in_progress);
  // A late failure of a checkpoint no longer in flight changes nothing.
  f.cc.fail(1, status(errc::timeout, "late"), clock_type::now());
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 0);
  // A store that fails fails the checkpoint too.
  f.cc.acknowledge(0, 2, {}, clock_type::now());
  f.cc.acknowledge(1, 2, {}, clock_type::now());
  ASSERT_EQ(f.port.stores.size(), 1u);
  f.cc.stored(2, f.port.stores[0], status(errc::unavailable, "store gone"), clock_type::now());
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(b.st.code(), errc::unavailable);
  EXPECT_FALSE(f.cc.latest().has_value());
}

// The end of the job answers the waiter of the checkpoint in flight and
// every queued request, once, with why.
TEST(checkpoint_coordinator, the_end_of_a_job_answers_every_waiter) {
  fixture f;
  answer a, b;
  f.cc.request(false, false, a.deliver());
  f.cc.request(true, true, b.deliver());
  f.cc.abandon(job_state::canceled, status(errc::unavailable, "job 7 was canceled"),
               clock_type::now());
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(b.st.message(), "job 7 was canceled");
  EXPECT_FALSE(f.cc.in_flight());
  EXPECT_EQ(f.cc.history().back().reason, "the job ended: CANCELED");
  f.cc.abandon(job_state::failed, status(errc::internal, "again"), clock_type::now());
  EXPECT_EQ(a.calls, 1);  // nobody left to answer
}

// Nothing starts while the job does not run; a request waits for it.
// Periodic checkpoints keep the minimum pause; once every input has ended,
// the next checkpoint is the last, and completing it finishes the job.
TEST(checkpoint_coordinator, periodic_and_final_checkpoints) {
  fixture f(2, /*interval_ms=*/100, /*min_pause_ms=*/50);
  auto t0 = clock_type::now();
  f.port.is_running = false;
  answer a;
  f.cc.request(false, false, a.deliver());
  f.cc.tick(t0 + milliseconds(60));
  EXPECT_TRUE(f.port.triggered.empty());
  f.port.is_running = true;
  f.cc.next();  // the master calls next() once its tasks run
  ASSERT_EQ(f.port.triggered, (std::vector<uint64_t>{1}));
  f.cc.tick(t0 + milliseconds(200));  // one in flight: no second one
  EXPECT_EQ(f.port.triggered.size(), 1u);
  f.complete(1);
  auto ended = clock_type::now();
  f.cc.tick(ended + milliseconds(10));  // within the minimum pause
  EXPECT_EQ(f.port.triggered.size(), 1u);
  f.cc.tick(ended + milliseconds(60));
  ASSERT_EQ(f.port.triggered, (std::vector<uint64_t>{1, 2}));
  f.complete(2);
  f.port.ended = true;
  f.cc.tick(clock_type::now() + milliseconds(60));  // ticks start no final one
  EXPECT_EQ(f.port.triggered.size(), 2u);
  f.cc.next();
  ASSERT_EQ(f.port.triggered, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(f.cc.pending_is_final());
  f.complete(3);
  EXPECT_EQ(f.port.completes.back(), (std::pair<uint64_t, bool>{3, true}));
  EXPECT_EQ(f.cc.ending(), job_state::finished);
}

// A savepoint that stops the job is its last checkpoint: the job ends STOPPED.
TEST(checkpoint_coordinator, a_stopping_savepoint_is_the_last) {
  fixture f;
  answer a;
  f.cc.request(true, true, a.deliver());
  f.complete(1);
  EXPECT_EQ(f.port.completes.back(), (std::pair<uint64_t, bool>{1, true}));
  EXPECT_EQ(f.cc.ending(), job_state::stopped);
  EXPECT_TRUE(f.port.stores.back().savepoint);
}

checkpoint_record record_of(uint64_t id, std::vector<uint64_t> needs_of_task1) {
  checkpoint_record r;
  r.job_id = 7;
  r.id = id;
  r.tasks.push_back({0, {}, false, {}});
  r.tasks.push_back({1, {}, false, std::move(needs_of_task1)});
  return r;
}

// Restarts restore from the newest complete checkpoint not known to be
// damaged; damage to a snapshot spoils every checkpoint whose chain reaches
// it; an error that is not damage spoils nothing; with nothing left, the
// job's initial restore point.
TEST(recovery, restore_point_falls_back_past_damage) {
  fixture f;
  // 1 complete; 2 and 3 deltas of task 1 over 1; 4 complete again.
  f.cc.add_completed({record_of(1, {}), record_of(2, {1}), record_of(3, {1, 2}), record_of(4, {})});
  restore_spec initial;
  initial.checkpoint = 0;
  EXPECT_EQ(restore_point(f.cc, initial).checkpoint, 4u);

  restore_spec from4 = restore_point(f.cc, initial);
  EXPECT_FALSE(note_restore_failure(f.cc, 7, from4, status(errc::unavailable, "node lost"), {}));
  EXPECT_EQ(restore_point(f.cc, initial).checkpoint, 4u);

  // Restoring 4 found its own snapshot of task 0 damaged: 4 alone is spoiled.
  EXPECT_TRUE(note_restore_failure(f.cc, 7, from4, status(errc::corruption, "bad checksum"),
                                   damaged_snapshot{4, 0}));
  restore_spec from3 = restore_point(f.cc, initial);
  EXPECT_EQ(from3.checkpoint, 3u);
  // Restoring 3 found checkpoint 1's snapshot of task 1 damaged: 1, 2 and 3 need it.
  EXPECT_TRUE(note_restore_failure(f.cc, 7, from3, status(errc::corruption, "bad checksum"),
                                   damaged_snapshot{1, 1}));
  EXPECT_EQ(restore_point(f.cc, initial).checkpoint, 0u);  // back to the start
}

}  // namespace
}  // namespace nagare
