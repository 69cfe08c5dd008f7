// Keyed process functions with timers, driven operator by operator: the
// function registers and deletes event-time and processing-time timers, and
// what fires (key, domain, time, the key's state then) is compared with a
// brute-force model of the same semantics written with plain std::map and
// std::set; also across a snapshot restored at another parallelism.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "nagare/detail/process_operator.hpp"
#include "nagare/job.hpp"
#include "snapshot_support.hpp"
#include "state_support.hpp"

namespace nagare {
namespace {

// Every case runs on both state backends (leveldb with a cache of a few keys).
using timer_process = state_testing::on_both_backends;
INSTANTIATE_BACKENDS(timer_process);

using snapshot_testing::capture;
using snapshot_testing::owner;
using snapshot_testing::snapshots;
using snapshot_testing::through_bytes;
using snapshot_testing::where;

struct ev {
  std::string key;
  int64_t ts = 0;
  int64_t v = 0;
};

// What fires: a key's timer and the sum the key had collected until then.
struct fired {
  std::string key;
  time_domain domain = time_domain::event_time;
  int64_t time = 0;
  int64_t sum = 0;
  auto tie() const { return std::tie(key, domain, time, sum); }
  bool operator==(const fired& o) const { return tie() == o.tie(); }
  bool operator<(const fired& o) const { return tie() < o.tie(); }
};
std::ostream& operator<<(std::ostream& os, const fired& f) {
  return os << "{" << f.key << (f.domain == time_domain::event_time ? " event " : " proc ")
            << f.time << " sum " << f.sum << "}";
}
using fireds = std::vector<fired>;

}  // namespace

// Codecs, for records in a job graph.
template <>
struct codec<ev> {
  static void encode(const ev& x, std::string& out) {
    codec<std::string>::encode(x.key, out);
    codec<int64_t>::encode(x.ts, out);
    codec<int64_t>::encode(x.v, out);
  }
  static bool decode(byte_reader& in, ev& x) {
    return codec<std::string>::decode(in, x.key) && codec<int64_t>::decode(in, x.ts) &&
           codec<int64_t>::decode(in, x.v);
  }
};
template <>
struct codec<fired> {
  static void encode(const fired& x, std::string& out) {
    codec<std::string>::encode(x.key, out);
    codec<time_domain>::encode(x.domain, out);
    codec<int64_t>::encode(x.time, out);
    codec<int64_t>::encode(x.sum, out);
  }
  static bool decode(byte_reader& in, fired& x) {
    return codec<std::string>::decode(in, x.key) && codec<time_domain>::decode(in, x.domain) &&
           codec<int64_t>::decode(in, x.time) && codec<int64_t>::decode(in, x.sum);
  }
};

namespace {

int64_t floor_mod(int64_t a, int64_t b) { return ((a % b) + b) % b; }
// The event-time timer a record registers: the end of its 10 ms slot (always odd).
int64_t slot(int64_t ts) { return ts - floor_mod(ts, 10) + 9; }

struct key_of {
  std::string operator()(const ev& e) const { return e.key; }
};

// The function under test. Per record: v == 0 deletes the record's event timer and the
// processing timer one after the processing time; otherwise v is added to the key's sum, the event
// timer slot(ts) is registered, and for v % 3 == 0 a processing timer at processing time + v % 4. A
// timer emits the key's sum and clears it; an odd event timer also registers the event timer one
// later (which may already be due: it fires in the same watermark).
struct timer_fn {
  value_state<int64_t> sum;
  void open(state_context& ctx) { sum = ctx.value<int64_t>("sum"); }
  void process(const ev& r, keyed_context<std::string>& ctx, collector<fired>&) {
    EXPECT_EQ(ctx.timestamp(), r.ts) << "the record's event time";
    EXPECT_EQ(ctx.key(), r.key);
    if (r.v == 0) {
      ctx.delete_event_time_timer(slot(r.ts));
      ctx.delete_processing_time_timer(ctx.current_processing_time() + 1);
      return;
    }
    sum.set_default(0) += r.v;
    ctx.register_event_time_timer(slot(r.ts));
    if (r.v % 3 == 0) ctx.register_processing_time_timer(ctx.current_processing_time() + r.v % 4);
  }
  void on_timer(int64_t t, time_domain d, keyed_context<std::string>& ctx, collector<fired>& out) {
    EXPECT_EQ(ctx.timestamp(), t) << "a timer's timestamp is its time";
    if (d == time_domain::event_time)
      EXPECT_GE(ctx.current_watermark(), t);
    else
      EXPECT_GE(ctx.current_processing_time(), t);
    out.emit({ctx.key(), d, t, sum.value_or(0)});
    sum.clear();
    if (d == time_domain::event_time && t % 2 != 0) ctx.register_event_time_timer(t + 1);
  }
};

struct ts_of {
  int64_t operator()(const ev& e) const { return e.ts; }
};
using process_op = detail::process_operator<ev, fired, key_of, timer_fn>;

constexpr int64_t start_time = 1000;  // the processing time of a run's first step

// One step of a run: a record, a watermark or a processing time.
struct step {
  enum kind_t { record, watermark, processing } kind = record;
  ev r;
  int64_t time = 0;
};
using steps = std::vector<step>;

// A random run over `keys` keys: records with out-of-order timestamps around a rising base,
// watermarks and processing times that rise (sometimes repeat or fall back: ignored).
steps random_steps(size_t n, uint32_t keys, uint64_t seed) {
  uint64_t x = seed;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  steps out;
  int64_t base = -500, wm = -1000, now = start_time;
  for (size_t i = 0; i < n; ++i) {
    auto dice = next() % 20;
    step s;
    if (dice < 16) {
      s.r = ev{"k" + std::to_string(next() % keys), base + static_cast<int64_t>(next() % 60) - 30,
               static_cast<int64_t>(next() % 10)};
      base += static_cast<int64_t>(next() % 3);
    } else if (dice < 18) {
      s.kind = step::watermark;
      wm = std::max(wm, base - 40) + static_cast<int64_t>(next() % 5) - 1;
      s.time = wm;
    } else {
      s.kind = step::processing;
      now += static_cast<int64_t>(next() % 4) - 1;
      s.time = now;
    }
    out.push_back(s);
  }
  return out;
}

// The brute-force model of timer_fn over the same steps.
struct model {
  std::map<std::string, int64_t> sums;
  std::set<std::pair<int64_t, std::string>> timers[2];  // per domain: (time, key)
  int64_t wm = min_timestamp, now = start_time;

  std::set<std::pair<int64_t, std::string>>& of(time_domain d) {
    return timers[d == time_domain::event_time ? 0 : 1];
  }
  void fire(time_domain d, int64_t bound, fireds& out) {
    auto& set = of(d);
    while (!set.empty() && set.begin()->first <= bound) {
      auto [t, key] = *set.begin();
      set.erase(set.begin());
      if (d == time_domain::processing_time) now = std::max(now, t);
      auto it = sums.find(key);
      out.push_back({key, d, t, it == sums.end() ? 0 : it->second});
      if (it != sums.end()) sums.erase(it);
      if (d == time_domain::event_time && t % 2 != 0) set.insert({t + 1, key});
    }
  }
  fireds apply(const step& s) {
    fireds out;
    switch (s.kind) {
      case step::record:
        if (s.r.v == 0) {
          of(time_domain::event_time).erase({slot(s.r.ts), s.r.key});
          of(time_domain::processing_time).erase({now + 1, s.r.key});
        } else {
          sums[s.r.key] += s.r.v;
          of(time_domain::event_time).insert({slot(s.r.ts), s.r.key});
          if (s.r.v % 3 == 0) of(time_domain::processing_time).insert({now + s.r.v % 4, s.r.key});
        }
        break;
      case step::watermark:
        if (s.time > wm) {
          wm = s.time;
          fire(time_domain::event_time, wm, out);
        }
        break;
      case step::processing:
        now = std::max(now, s.time);
        fire(time_domain::processing_time, now, out);
        break;
    }
    return out;
  }
  fireds end() {
    fireds out;
    wm = max_timestamp;
    fire(time_domain::event_time, max_timestamp, out);
    auto& p = of(time_domain::processing_time);
    if (!p.empty()) fire(time_domain::processing_time, p.rbegin()->first, out);
    return out;
  }
};

// A process operator instance wired to a capture. Like the runtime, it gets a processing time
// (`now`) before its first record.
struct instance {
  std::unique_ptr<process_op> op;
  capture<fired> out;
  subtask_info info;
  instance(uint32_t s, uint32_t p, const snapshots& previous = {}, int64_t now = start_time)
      : op(std::make_unique<process_op>(key_of{}, timer_fn{}, timestamp_fn<ev>(ts_of{}))),
        info(where(s, p)) {
    op->connect(static_cast<detail::input_port<fired>*>(&out));
    auto st = op->open(info);
    EXPECT_TRUE(st.ok()) << st.message();
    st = op->restore(previous, info);
    EXPECT_TRUE(st.ok()) << st.message();
    op->on_processing_time(now);
    EXPECT_TRUE(out.got.empty());
  }
  // Applies `s` (a record only if this subtask owns its key); returns what fired.
  fireds apply(const step& s) {
    out.got.clear();
    switch (s.kind) {
      case step::record:
        if (owner(s.r.key, info.parallelism) == info.subtask) {
          ev copy = s.r;
          op->push(copy);
        }
        break;
      case step::watermark:  // in slices of three timers, as a task with little credit would
        while (!op->on_watermark(s.time, 3)) {
        }
        break;
      case step::processing:
        op->on_processing_time(s.time);
        break;
    }
    return std::move(out.got);
  }
  fireds end() {
    out.got.clear();
    while (!op->on_watermark(max_timestamp, 3)) {
    }
    op->finish();
    return std::move(out.got);
  }
};

// What a step made all `subtasks` fire, in (key, domain, time) order. Within one subtask timers of
// a domain fire in time order; that is checked here.
fireds apply_all(std::vector<std::unique_ptr<instance>>& subtasks, const step* s) {
  fireds all;
  for (auto& i : subtasks) {
    auto got = s ? i->apply(*s) : i->end();
    for (size_t j = 1; j < got.size(); ++j)
      if (got[j].domain == got[j - 1].domain) {
        EXPECT_LE(got[j - 1].time, got[j].time) << "timers fire in time order";
      }
    all.insert(all.end(), got.begin(), got.end());
  }
  std::sort(all.begin(), all.end());
  return all;
}

fireds sorted(fireds f) {
  std::sort(f.begin(), f.end());
  return f;
}

// Timers of both domains fire when the watermark or the processing time reaches them, with the
// key's state, and the rest fires at end of input: step by step what the model fires.
TEST_P(timer_process, fires_what_the_model_fires_step_by_step) {
  auto run = random_steps(4000, 25, 7);
  std::vector<std::unique_ptr<instance>> one;
  one.push_back(std::make_unique<instance>(0, 1));
  model m;
  size_t fired_total = 0;
  for (size_t i = 0; i < run.size(); ++i) {
    auto expected = sorted(m.apply(run[i]));
    fired_total += expected.size();
    ASSERT_EQ(apply_all(one, &run[i]), expected) << "step " << i;
  }
  EXPECT_EQ(apply_all(one, nullptr), sorted(m.end()));
  EXPECT_GT(fired_total, 200u) << "the run exercises timers";
  EXPECT_EQ(one[0]->op->state_entries(), m.sums.size()) << "keys without timers or sums are gone";
  EXPECT_FALSE(one[0]->op->wants_processing_time());
}

// Two subtasks snapshot mid-run (timers pending in both domains); three subtasks restore from
// those snapshots and continue: every step fires what one uninterrupted model run fires.
TEST_P(timer_process, timers_survive_a_restore_at_another_parallelism) {
  auto run = random_steps(5000, 40, 11);
  model m;
  std::vector<std::unique_ptr<instance>> two;
  for (uint32_t s = 0; s < 2; ++s) two.push_back(std::make_unique<instance>(s, 2));
  const size_t half = 2600;
  for (size_t i = 0; i < half; ++i) ASSERT_EQ(apply_all(two, &run[i]), sorted(m.apply(run[i])));
  ASSERT_FALSE(m.of(time_domain::event_time).empty());
  snapshots previous;
  for (auto& i : two) {
    detail::operator_snapshot snap;
    i->op->snapshot(snap);
    previous.push_back(through_bytes(snap));
  }
  two.clear();
  std::vector<std::unique_ptr<instance>> three;
  for (uint32_t s = 0; s < 3; ++s)
    three.push_back(std::make_unique<instance>(s, 3, previous, m.now));
  for (auto& i : three) EXPECT_EQ(i->op->current_watermark(), m.wm) << "the watermark is restored";
  for (size_t i = half; i < run.size(); ++i)
    ASSERT_EQ(apply_all(three, &run[i]), sorted(m.apply(run[i]))) << "step " << i;
  EXPECT_EQ(apply_all(three, nullptr), sorted(m.end()));
}

// A restored subtask takes the smallest watermark of the earlier subtasks that owned some of its
// key groups: its own at the same parallelism. (Of 128 key groups, two subtasks own [0, 64) and
// [64, 128); three own [0, 43), [43, 86) and [86, 128).)
TEST_P(timer_process, a_restore_takes_the_smallest_watermark_of_the_key_groups_owners) {
  snapshots previous;
  const int64_t wms[] = {80, 50};
  for (uint32_t s = 0; s < 2; ++s) {
    instance i(s, 2);
    i.op->on_watermark(wms[s], SIZE_MAX);
    detail::operator_snapshot snap;
    i.op->snapshot(snap);
    previous.push_back(snap);
  }
  const int64_t three[] = {80, 50, 50};
  for (uint32_t s = 0; s < 3; ++s) {
    instance i(s, 3, previous);
    EXPECT_EQ(i.op->current_watermark(), three[s]) << "subtask " << s << " of 3";
    i.op->on_watermark(40, SIZE_MAX);
    EXPECT_EQ(i.op->current_watermark(), three[s]) << "a lower watermark is ignored";
  }
  for (uint32_t s = 0; s < 2; ++s) {
    instance i(s, 2, previous);
    EXPECT_EQ(i.op->current_watermark(), wms[s]) << "its own, at the same parallelism";
  }
  instance one(0, 1, previous);
  EXPECT_EQ(one.op->current_watermark(), 50);
  instance fresh(0, 1);
  EXPECT_EQ(fresh.op->current_watermark(), min_timestamp);
}

// Registering one timer twice keeps one; deleting it leaves none; the timer's key holds state
// only while it has a timer or a sum.
TEST_P(timer_process, one_timer_per_key_domain_and_time) {
  instance i(0, 1, {}, 100);
  auto push = [&](const ev& e) { return i.apply(step{step::record, e, 0}); };
  push({"a", 5, 3});  // event timer 9, processing timer 103
  push({"a", 7, 6});  // event timer 9 again, processing timer 102
  push({"a", 8, 3});  // both again
  EXPECT_TRUE(i.op->wants_processing_time());
  EXPECT_EQ(i.apply(step{step::watermark, {}, 9}), (fireds{{"a", time_domain::event_time, 9, 12}}))
      << "the event timer fires once with the sum of all three records";
  EXPECT_EQ(i.apply(step{step::watermark, {}, 12}), (fireds{{"a", time_domain::event_time, 10, 0}}))
      << "the follow-up timer the odd timer registered";
  EXPECT_EQ(i.apply(step{step::processing, {}, 102}),
            (fireds{{"a", time_domain::processing_time, 102, 0}}));
  push({"b", 20, 1});
  push({"b", 21, 0});  // deletes b's event timer 29
  EXPECT_EQ(i.op->state_entries(), 2u) << "a has a processing timer, b a sum";
  EXPECT_EQ(i.apply(step{step::watermark, {}, 40}), fireds{}) << "b's timer was deleted";
  EXPECT_EQ(i.apply(step{step::processing, {}, 103}),
            (fireds{{"a", time_domain::processing_time, 103, 0}}));
  EXPECT_FALSE(i.op->wants_processing_time());
  EXPECT_EQ(i.op->state_entries(), 1u) << "a holds nothing any more";
}

// Timers registered for a time the watermark has passed fire with the next watermark; a stream
// without timestamps gives min_timestamp.
TEST_P(timer_process, past_timers_fire_with_the_next_watermark) {
  struct past_fn {
    void process(const ev& r, keyed_context<std::string>& ctx, collector<fired>&) {
      EXPECT_EQ(ctx.timestamp(), min_timestamp) << "no timestamps on this stream";
      ctx.register_event_time_timer(r.ts);
    }
    void on_timer(int64_t t, time_domain d, keyed_context<std::string>& ctx,
                  collector<fired>& out) {
      out.emit({ctx.key(), d, t, ctx.current_watermark()});
    }
  };
  detail::process_operator<ev, fired, key_of, past_fn> op(key_of{}, past_fn{});
  capture<fired> out;
  op.connect(static_cast<detail::input_port<fired>*>(&out));
  ASSERT_TRUE(op.open(where(0, 1)).ok());
  ASSERT_TRUE(op.restore({}, where(0, 1)).ok());
  op.on_watermark(100, SIZE_MAX);
  ev e{"x", 50, 1};
  op.push(e);
  EXPECT_TRUE(out.got.empty()) << "nothing fires outside a watermark";
  op.on_watermark(101, SIZE_MAX);
  EXPECT_EQ(out.got, (fireds{{"x", time_domain::event_time, 50, 101}}));
}

// keyed_stream::process hands the function the stream's timestamps (the operator the job API
// makes is driven directly).
TEST_P(timer_process, the_job_api_passes_the_stream_timestamps) {
  struct stamp_fn {
    void process(const ev& r, keyed_context<std::string>& ctx, collector<fired>& out) {
      out.emit({ctx.key(), time_domain::event_time, ctx.timestamp(), r.v});
      ctx.register_event_time_timer(ctx.timestamp() + 10);
    }
    void on_timer(int64_t t, time_domain d, keyed_context<std::string>& ctx,
                  collector<fired>& out) {
      out.emit({ctx.key(), d, t, -1});
    }
  };
  detail::graph g;
  job j(g);
  auto src = j.source(generator_source<ev>(0, [](uint64_t) { return ev{}; }));
  src.with_timestamps(ts_of{});
  src.key_by(key_of{})
      .process<fired>(stamp_fn{})
      .sink(stdout_sink<fired>([](const fired&, std::string&) {}));
  ASSERT_EQ(g.nodes[1].kind, "process");
  auto op = g.nodes[1].make_operator();
  capture<fired> out;
  op->connect(static_cast<detail::input_port<fired>*>(&out));
  ASSERT_TRUE(op->open(where(0, 1)).ok());
  ASSERT_TRUE(op->restore({}, where(0, 1)).ok());
  auto* in = static_cast<detail::input_port<ev>*>(op->input());
  ev a{"a", 5, 1}, b{"b", 7, 2};
  in->push(a);
  in->push(b);
  op->on_watermark(16, SIZE_MAX);
  op->on_watermark(max_timestamp, SIZE_MAX);
  EXPECT_EQ(out.got, (fireds{{"a", time_domain::event_time, 5, 1},
                             {"b", time_domain::event_time, 7, 2},
                             {"a", time_domain::event_time, 15, -1},
                             {"b", time_domain::event_time, 17, -1}}));
}

}  // namespace
}  // namespace nagare
