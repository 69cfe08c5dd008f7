// Idleness through the runtime: a source subtask whose only split stays
// silent goes idle, says so downstream, and stops holding back the keyed
// tasks' watermark. Counted, not timed: the silent subtask emits its one
// record only after an event-time timer has fired downstream, which no
// watermark could do while it held the watermark back (without idleness the
// job would wait forever). Its late-coming record then makes it active again.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "embedded.hpp"
#include "nagare/nagare.hpp"

namespace nagare {
namespace {

constexpr int64_t values = 20000;  // subtask 0 emits 0, 1, ... (at least this many)
constexpr int64_t idleness_ms = 20;
constexpr int64_t ahead = 1'000'000;  // subtask 1's record is this far above subtask 0's

std::atomic<bool> timer_fired{false};     // a timer fired before the end of input
std::atomic<bool> silent_emitted{false};  // subtask 1 emitted its record
std::atomic<int64_t> produced{0};         // subtask 0's values: 0 .. produced-1
std::atomic<int64_t> silent_value{0};     // subtask 1's one value
std::atomic<int64_t> last_running_wm{0};  // the highest watermark that fired a timer
std::mutex timers_mutex;
std::set<std::pair<int64_t, int64_t>> timers;  // (key, time) of every timer fired
std::atomic<uint64_t> late{0};

// Subtask 0: the values 0, 1, ..., 1000 per poll up to `values`, then one per poll (so that it
// never goes idle itself) until subtask 1 has emitted; then the end. Subtask 1: nothing until a
// timer fired downstream, then one value `ahead` above subtask 0's, then the end.
class gated_reader final : public source_reader<int64_t> {
 public:
  status open(const subtask_info& info) override {
    subtask_ = info.subtask;
    return {};
  }
  status poll(size_t max_records, collector<int64_t>& out, bool& end) override {
    if (subtask_ == 0) {
      if (silent_emitted.load()) {
        end = true;
        return {};
      }
      size_t n = 0;
      do {
        out.emit(produced.load());
        produced.fetch_add(1);
      } while (++n < max_records && n < 1000 && produced.load() < values);
    } else if (timer_fired.load()) {
      silent_value = produced.load() + ahead;
      out.emit(silent_value.load());
      silent_emitted = true;
      end = true;
    }
    return {};
  }

 private:
  uint32_t subtask_ = 0;
};

struct gated_source {
  using record_type = int64_t;
  std::string name() const { return "gated"; }
  status validate() const { return {}; }
  std::unique_ptr<source_reader<int64_t>> create() const {
    return std::make_unique<gated_reader>();
  }
};

struct probe {
  void process(const int64_t& v, keyed_context<int64_t>& ctx, collector<int64_t>&) {
    if (ctx.timestamp() <= ctx.current_watermark()) ++late;
    ctx.register_event_time_timer(v / 1000 * 1000 + 999);
  }
  void on_timer(int64_t time, time_domain, keyed_context<int64_t>& ctx, collector<int64_t>&) {
    auto wm = ctx.current_watermark();
    if (wm != max_timestamp) {
      for (auto seen = last_running_wm.load();
           wm > seen && !last_running_wm.compare_exchange_weak(seen, wm);) {
      }
      timer_fired = true;
    }
    std::lock_guard<std::mutex> lock(timers_mutex);
    timers.emplace(ctx.key(), time);
  }
};

struct discard {
  using record_type = int64_t;
  std::string name() const { return "discard"; }
  status validate() const { return {}; }
  std::unique_ptr<sink<int64_t>> create() const {
    class none final : public sink<int64_t> {
     public:
      status open(const subtask_info&) override { return {}; }
      status write(const int64_t&) override { return {}; }
      status close() override { return {}; }
    };
    return std::make_unique<none>();
  }
};

status idle_job(job& j, const job_args&) {
  j.source(gated_source{},
           watermark_strategy<int64_t>::for_monotonous_timestamps([](const int64_t& v) {
             return v;
           }).with_idleness(idleness_ms))
      .parallelism(2)
      .key_by([](const int64_t& v) { return v % 4; })
      .process<int64_t>(probe{})
      .parallelism(2)
      .sink(discard{});
  return {};
}

TEST(watermark_idleness, an_idle_source_subtask_does_not_hold_back_downstream) {
  auto job = register_linked_job("idle_source", idle_job);
  run_options opts;
  opts.threads = 2;
  auto out = run_embedded(job, {}, opts);
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_EQ(out->state, job_state::finished) << to_string(out->state) << ": " << out->reason;
  EXPECT_TRUE(silent_emitted.load());
  // Subtask 1 was silent until then: only its idleness let the watermark of subtask 0 through.
  EXPECT_TRUE(timer_fired.load());
  EXPECT_LT(last_running_wm.load(), produced.load());
  EXPECT_EQ(late.load(), 0u) << "no record is late: subtask 1's is above every watermark";
  // Every (key, second) that holds a value fired once, the late-comer's included.
  std::set<std::pair<int64_t, int64_t>> expected;
  for (int64_t v = 0; v < produced.load(); ++v) expected.emplace(v % 4, v / 1000 * 1000 + 999);
  auto last = silent_value.load();
  expected.emplace(last % 4, last / 1000 * 1000 + 999);
  std::lock_guard<std::mutex> lock(timers_mutex);
  EXPECT_TRUE(timers == expected) << timers.size() << " timers, expected " << expected.size();
}

}  // namespace
}  // namespace nagare
