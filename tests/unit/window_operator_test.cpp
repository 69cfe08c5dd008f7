// The window operators against the brute-force model of window_support.hpp,
// step by step on random out-of-order runs with a fixed seed: every window
// kind (tumbling, sliding, session, count), event time and processing time,
// each kind of contents (aggregate, reduce, full-window function), late
// records, allowed lateness and re-firing, firing at end of input, and
// snapshots restored mid-run at the same and at another parallelism.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "state_support.hpp"
#include "window_support.hpp"

namespace nagare {
namespace {

// Every case runs on both state backends (leveldb with a cache of a few keys).
using window_operator = state_testing::on_both_backends;
INSTANTIATE_BACKENDS(window_operator);

using namespace window_testing;

template <class C>
C make_contents();
template <>
aggregate_contents make_contents<aggregate_contents>() {
  return {count_sum{}};
}
template <>
reduce_contents make_contents<reduce_contents>() {
  return {{add_up{}}};
}
template <>
process_contents make_contents<process_contents>() {
  return {list_values{}};
}
template <class C>
contents kind_of() {
  if constexpr (std::is_same_v<C, aggregate_contents>) return contents::aggregate;
  if constexpr (std::is_same_v<C, reduce_contents>) return contents::reduce;
  return contents::process;
}

// Runs `run` through the operator for `spec` with contents C (see check_run) and returns the
// model's counters.
// Tumbling and sliding windows run on the operator the API picks for C (panes when C merges)
// unless `General` asks for the operator with an accumulator per window.
template <class C, bool General = false>
window_model check(const window_spec& spec, const steps& run, uint32_t p = 1, size_t cut = 0,
                   uint32_t p2 = 0) {
  auto ts = spec.timestamps ? timestamps() : nullptr;
  switch (spec.shape) {
    case window_spec::sliding: {
      using op =
          std::conditional_t<General,
                             detail::window_operator<rec, key_of, sliding_window_assigner, C>,
                             detail::time_window_operator_t<rec, key_of, C>>;
      sliding_window_assigner a{spec.size, spec.slide, spec.domain};
      return check_run<op>(
          run, spec, kind_of<C>(),
          [&] { return std::make_unique<op>(key_of{}, a, spec.lateness, make_contents<C>(), ts); },
          p, cut, p2);
    }
    case window_spec::session: {
      using op = detail::window_operator<rec, key_of, session_window_assigner, C>;
      session_window_assigner a{spec.size, spec.domain};
      return check_run<op>(
          run, spec, kind_of<C>(),
          [&] { return std::make_unique<op>(key_of{}, a, spec.lateness, make_contents<C>(), ts); },
          p, cut, p2);
    }
    case window_spec::count: {
      using op = detail::count_window_operator<rec, key_of, C>;
      count_window_assigner a{static_cast<uint64_t>(spec.size)};
      return check_run<op>(
          run, spec, kind_of<C>(),
          [&] { return std::make_unique<op>(key_of{}, a, make_contents<C>(), ts); }, p, cut, p2);
    }
  }
  return window_model(spec, expected_values(kind_of<C>()));
}

// Runs every kind of contents.
template <class F>
void for_each_contents(F f) {
  {
    SCOPED_TRACE("aggregate");
    f(aggregate_contents{});
  }
  {
    SCOPED_TRACE("reduce");
    f(reduce_contents{});
  }
  {
    SCOPED_TRACE("full-window function");
    f(process_contents{});
  }
}

window_spec sliding(int64_t size, int64_t slide, int64_t lateness = 0,
                    time_domain d = time_domain::event_time) {
  return {window_spec::sliding, size, slide, d, lateness};
}
window_spec session(int64_t gap, int64_t lateness = 0, time_domain d = time_domain::event_time) {
  return {window_spec::session, gap, 0, d, lateness};
}
window_spec count(int64_t n, bool timestamps = true) {
  window_spec s{window_spec::count, n, 0, time_domain::event_time, 0};
  s.timestamps = timestamps;
  return s;
}
constexpr auto processing = time_domain::processing_time;

// Tumbling event-time windows without lateness: windows fire once, when the watermark passes
// them, and records for windows already passed are late.
TEST_P(window_operator, tumbling_event_time) {
  auto run = random_run({}, 1);
  for_each_contents([&](auto c) {
    auto m = check<decltype(c)>(sliding(30, 30), run);
    EXPECT_GT(m.fired, 500u);
    EXPECT_GT(m.late, 20u) << "the run has late records";
    EXPECT_EQ(m.refired, 0u);
  });
}

// With allowed lateness a record for a window that fired fires it again at once with the whole
// updated contents; records later than the lateness are late.
TEST_P(window_operator, tumbling_event_time_with_lateness) {
  run_shape shape;
  shape.spread = 60;
  auto run = random_run(shape, 2);
  for_each_contents([&](auto c) {
    auto m = check<decltype(c)>(sliding(30, 30, 25), run);
    EXPECT_GT(m.refired, 50u) << "the run re-fires windows";
    EXPECT_GT(m.late, 20u);
  });
}

// Sliding windows whose size is no multiple of the slide: a record belongs to two or three.
TEST_P(window_operator, sliding_event_time) {
  auto run = random_run({}, 3);
  for_each_contents([&](auto c) {
    auto m = check<decltype(c)>(sliding(50, 20), run);
    EXPECT_GT(m.late, 10u);
    EXPECT_GT(m.dropped, m.late) << "some records miss only some of their windows";
    check<decltype(c)>(sliding(50, 20, 15), run);
  });
}

// Windows whose slide exceeds their size leave gaps: records there go to no window (late), in
// both domains.
TEST_P(window_operator, windows_with_gaps) {
  auto run = random_run({}, 8);
  for_each_contents([&](auto c) {
    using C = decltype(c);
    auto m = check<C>(sliding(10, 25), run);
    EXPECT_GT(m.late, 500u);
    EXPECT_GT(m.fired, 200u);
    EXPECT_GT(check<C>(sliding(3, 5, 0, processing), run).late, 100u);
    check<C>(sliding(20, 30, 15), run);
  });
}

// The operator with an accumulator per window (for aggregators without merge) on tumbling and
// sliding windows, where the API would pick panes.
TEST_P(window_operator, windows_without_panes) {
  run_shape shape;
  shape.spread = 60;
  auto run = random_run(shape, 9);
  using general = std::true_type;
  auto both = [&](auto c) {
    using C = decltype(c);
    check<C, general::value>(sliding(30, 30, 25), run);
    check<C, general::value>(sliding(50, 20), run);
    check<C, general::value>(sliding(50, 20, 15), run, 2, run.size() / 2, 3);
    check<C, general::value>(sliding(40, 15, 0, processing), run);
  };
  both(aggregate_contents{});
  both(reduce_contents{});
}

// Session windows merge as records bridge them; late records open no session.
TEST_P(window_operator, session_event_time) {
  run_shape shape;
  shape.keys = 8;
  auto run = random_run(shape, 4);
  for_each_contents([&](auto c) {
    auto m = check<decltype(c)>(session(6), run);
    EXPECT_GT(m.fired, 200u);
    EXPECT_GT(m.late, 10u);
    m = check<decltype(c)>(session(6, 20), run);
    EXPECT_GT(m.refired, 20u);
  });
}

// Processing-time windows use the arrival time and fire on processing time; none is late, and
// the pending ones fire when the input ends.
TEST_P(window_operator, processing_time_windows) {
  auto run = random_run({}, 5);
  for_each_contents([&](auto c) {
    using C = decltype(c);
    EXPECT_GT(check<C>(sliding(30, 30, 0, processing), run).fired, 100u) << "tumbling";
    EXPECT_GT(check<C>(sliding(40, 15, 0, processing), run).fired, 100u) << "sliding";
    auto m = check<C>(session(3, 0, processing), run);
    EXPECT_GT(m.fired, 50u) << "session";
    EXPECT_EQ(m.late, 0u);
  });
}

// Count windows fire with their n-th record, bounded by the smallest and largest timestamp
// (min_timestamp without timestamps); incomplete ones never fire.
TEST_P(window_operator, count_windows) {
  auto run = random_run({}, 6);
  for_each_contents([&](auto c) {
    using C = decltype(c);
    EXPECT_GT(check<C>(count(5), run).fired, 500u);
    check<C>(count(1), run);
    check<C>(count(7, false), run);
  });
}

// Checkpoints mid-run (the second a delta over the first with the leveldb backend) restored at
// the same parallelism and at another one (two subtasks, then three) continue exactly as the
// uninterrupted model: window contents, timers, fired state and the watermark come back.
TEST_P(window_operator, restores_mid_run_at_another_parallelism) {
  run_shape shape;
  shape.records = 4000;
  shape.spread = 60;
  auto run = random_run(shape, 7);
  const size_t cut = run.size() / 2;
  for_each_contents([&](auto c) {
    using C = decltype(c);
    for (auto [p, p2] : {std::pair<uint32_t, uint32_t>{1, 1}, {2, 3}}) {
      SCOPED_TRACE(std::to_string(p) + " -> " + std::to_string(p2));
      check<C>(sliding(50, 20, 25), run, p, cut, p2);
      check<C>(session(6, 20), run, p, cut, p2);
      check<C>(sliding(30, 30, 0, processing), run, p, cut, p2);
      check<C>(session(3, 0, processing), run, p, cut, p2);
      check<C>(count(5), run, p, cut, p2);
    }
  });
}

}  // namespace
}  // namespace nagare
