// Helpers shared by the window operator tests: a record type, random runs of
// records, watermarks and processing times, window operator instances driven
// step by step, and a brute-force model of the window semantics (the issue's
// definitions, computed from the records themselves: windows enumerated
// start by start, sessions found by clustering the sorted timestamps). The
// model shares no code with the operators; expected output always comes from
// it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "nagare/window.hpp"
#include "snapshot_support.hpp"

namespace nagare {

namespace window_testing {
struct rec {
  std::string key;
  int64_t ts = 0;
  int64_t v = 0;
  bool operator==(const rec& o) const { return key == o.key && ts == o.ts && v == o.v; }
};
}  // namespace window_testing

template <>
struct codec<window_testing::rec> {
  static void encode(const window_testing::rec& r, std::string& out) {
    codec<std::string>::encode(r.key, out);
    codec<int64_t>::encode(r.ts, out);
    codec<int64_t>::encode(r.v, out);
  }
  static bool decode(byte_reader& in, window_testing::rec& r) {
    return codec<std::string>::decode(in, r.key) && codec<int64_t>::decode(in, r.ts) &&
           codec<int64_t>::decode(in, r.v);
  }
};

namespace window_testing {

using snapshot_testing::capture;
using snapshot_testing::owner;
using snapshot_testing::snapshots;
using snapshot_testing::through_bytes;
using snapshot_testing::where;

constexpr int64_t start_time = 1'000'000;  // processing time at a run's first step

struct key_of {
  std::string operator()(const rec& r) const { return r.key; }
};
struct ts_of {
  int64_t operator()(const rec& r) const { return r.ts; }
};
inline timestamps_of<rec> timestamps() { return ts_of{}; }

// One thing an operator sees: a record, a watermark or a processing time.
struct step {
  enum kind_t { record, watermark, processing } kind = record;
  rec r;
  int64_t time = 0;
};
using steps = std::vector<step>;

// What comes out: a fired window's value (one row per value) or a late record.
struct row {
  std::string key;
  int64_t start = 0;  // a late record: its timestamp
  int64_t end = 0;
  std::string value;
  bool late = false;
  auto tie() const { return std::tie(late, key, start, end, value); }
  bool operator==(const row& o) const { return tie() == o.tie(); }
  bool operator<(const row& o) const { return tie() < o.tie(); }
};
inline std::ostream& operator<<(std::ostream& os, const row& r) {
  if (r.late) return os << "{late " << r.key << " @" << r.start << " " << r.value << "}";
  return os << "{" << r.key << " [" << r.start << "," << r.end << ") " << r.value << "}";
}
using rows = std::vector<row>;

inline rows sorted(rows r) {
  std::sort(r.begin(), r.end());
  return r;
}

// The values of a window with records `rs`, as each kind of contents in the tests computes them.
enum class contents { aggregate, reduce, process };
using values_fn =
    std::function<std::vector<std::string>(const std::vector<rec>&, int64_t start, int64_t end)>;

inline std::string count_sum_text(uint64_t n, int64_t sum) {
  return "c=" + std::to_string(n) + " s=" + std::to_string(sum);
}
inline std::string reduced_text(int64_t sum, int64_t max_ts) {
  return "s=" + std::to_string(sum) + " t=" + std::to_string(max_ts);
}
inline std::string late_text(const rec& r) { return "v=" + std::to_string(r.v); }

inline values_fn expected_values(contents c) {
  switch (c) {
    case contents::aggregate:
      return [](const std::vector<rec>& rs, int64_t, int64_t) {
        int64_t sum = 0;
        for (const auto& r : rs) sum += r.v;
        return std::vector<std::string>{count_sum_text(rs.size(), sum)};
      };
    case contents::reduce:
      return [](const std::vector<rec>& rs, int64_t, int64_t) {
        int64_t sum = 0, max_ts = min_timestamp;
        for (const auto& r : rs) sum += r.v, max_ts = std::max(max_ts, r.ts);
        return std::vector<std::string>{reduced_text(sum, max_ts)};
      };
    case contents::process:
      return [](const std::vector<rec>& rs, int64_t start, int64_t end) {
        std::vector<int64_t> vs;
        for (const auto& r : rs) vs.push_back(r.v);
        std::sort(vs.begin(), vs.end());
        std::string all = "w=" + std::to_string(start) + "," + std::to_string(end) + ":";
        for (auto v : vs) all += std::to_string(v) + ",";
        return std::vector<std::string>{"n=" + std::to_string(rs.size()), all};
      };
  }
  return {};
}

// The contents under test.
struct count_sum {  // an aggregator with merge: (records, sum of v)
  using accumulator = std::pair<uint64_t, int64_t>;
  accumulator create() const { return {0, 0}; }
  void add(accumulator& a, const rec& r) const { ++a.first, a.second += r.v; }
  void merge(accumulator& a, const accumulator& b) const {
    a.first += b.first;
    a.second += b.second;
  }
  accumulator result(const accumulator& a) const { return a; }
};
struct add_up {  // a reduce function: sums v, keeps the largest timestamp
  rec operator()(const rec& a, const rec& b) const {
    return {a.key, std::max(a.ts, b.ts), a.v + b.v};
  }
};
struct list_values {  // a full-window function: the count, then the window and the sorted values
  void operator()(const std::string& key, const time_window& w, const std::vector<rec>& rs,
                  collector<std::string>& out) const {
    for (const auto& r : rs) EXPECT_EQ(r.key, key);
    auto values = expected_values(contents::process)(rs, w.start, w.end);
    for (auto& v : values) out.emit(v);
  }
};

inline std::string text_of(const std::pair<uint64_t, int64_t>& a) {
  return count_sum_text(a.first, a.second);
}
inline std::string text_of(const rec& r) { return reduced_text(r.v, r.ts); }
inline std::string text_of(const std::string& s) { return s; }

using aggregate_contents = detail::aggregate_contents<rec, count_sum>;
using reduce_contents = detail::aggregate_contents<rec, detail::reduce_aggregator<rec, add_up>>;
using process_contents = detail::process_contents<rec, std::string, list_values>;

// An operator instance of type Op (a window operator over rec keyed by rec::key) wired to a
// capture. Like the runtime, it gets a processing time before its first record.
template <class Op>
struct instance {
  using output = typename Op::output_type;
  std::unique_ptr<Op> op;
  capture<output> out;
  subtask_info info;

  instance(std::unique_ptr<Op> o, uint32_t s, uint32_t p, const snapshots& previous = {},
           int64_t now = start_time)
      : op(std::move(o)), info(where(s, p)) {
    op->connect(static_cast<detail::input_port<output>*>(&out));
    auto st = op->open(info);
    EXPECT_TRUE(st.ok()) << st.message();
    st = op->restore(previous, info);
    EXPECT_TRUE(st.ok()) << st.message();
    op->on_processing_time(now);
    EXPECT_TRUE(out.got.empty());
  }
  rows take() {
    rows got;
    for (auto& o : out.got) {
      if (o.index == output::late_index) {
        const auto& r = o.late;
        got.push_back({r.key, r.ts, 0, late_text(r), true});
      } else {
        const auto& w = o.result;
        got.push_back({w.key, w.start, w.end, text_of(w.value), false});
      }
    }
    out.got.clear();
    return got;
  }
  // Applies `s` (a record only if this subtask owns its key).
  rows apply(const step& s) {
    switch (s.kind) {
      case step::record:
        if (owner(s.r.key, info.parallelism) == info.subtask) {
          rec copy = s.r;
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
    return take();
  }
  rows end() {
    while (!op->on_watermark(max_timestamp, 3)) {
    }
    op->finish();
    return take();
  }
  // Checkpoint `id` of this instance, completed at once (with the leveldb
  // backend a checkpoint after a completed one is a delta over it).
  detail::operator_snapshot checkpoint(uint64_t id) {
    EXPECT_TRUE(op->prepare_checkpoint(id).ok());
    detail::operator_snapshot s;
    op->snapshot(s);
    s.checkpoint = id;  // as the runtime does
    EXPECT_TRUE(op->checkpoint_complete(id).ok());
    return through_bytes(s);
  }
};

// Which windows, as the model sees them.
struct window_spec {
  enum shape_t { sliding, session, count } shape = sliding;
  int64_t size = 0;   // sliding: size, session: gap, count: records
  int64_t slide = 0;  // sliding only
  time_domain domain = time_domain::event_time;
  int64_t lateness = 0;
  bool timestamps = true;  // count windows: whether the stream has timestamps
};

inline int64_t floor_mod(int64_t a, int64_t b) { return ((a % b) + b) % b; }

// The brute-force model.
class window_model {
 public:
  window_model(window_spec spec, values_fn values) : spec_(spec), values_(std::move(values)) {}

  // Counts of what the run exercised.
  size_t late = 0, refired = 0, fired = 0, dropped = 0;
  int64_t wm = min_timestamp, now = start_time;

  rows apply(const step& s) {
    rows out;
    switch (s.kind) {
      case step::record:
        add(s.r, out);
        break;
      case step::watermark:
        if (s.time > wm) advance_watermark(s.time, out);
        break;
      case step::processing:
        now = std::max(now, s.time);
        if (spec_.domain == time_domain::processing_time) fire_processing(now, out);
        break;
    }
    return out;
  }
  rows end() {
    rows out;
    if (spec_.shape != window_spec::count) {
      if (event())
        advance_watermark(max_timestamp, out);
      else
        fire_processing(max_timestamp, out);
    }
    return out;
  }

 private:
  struct timed {
    int64_t t;  // event or arrival time
    rec r;
    uint64_t id;  // which record
  };
  using window_key = std::pair<std::string, int64_t>;  // (key, start)
  struct window {
    int64_t end;
    std::vector<rec> records;
  };
  struct session {
    int64_t start, end;
    std::vector<timed> members;
  };

  bool event() const { return spec_.domain == time_domain::event_time; }
  int64_t cleanup(int64_t max) const { return event() ? max + spec_.lateness : max; }

  void emit(const std::string& key, int64_t start, int64_t end, const std::vector<rec>& rs,
            rows& out) {
    ++fired;
    for (auto& v : values_(rs, start, end)) out.push_back({key, start, end, v, false});
  }
  void emit_late(const rec& r, rows& out) {
    ++late;
    out.push_back({r.key, r.ts, 0, late_text(r), true});
  }

  void add(const rec& r, rows& out) {
    const int64_t t = event() ? r.ts : now;
    switch (spec_.shape) {
      case window_spec::count: {
        auto& rs = counting_[r.key];
        rs.push_back(r);
        if (rs.size() < static_cast<size_t>(spec_.size)) return;
        int64_t lo = max_timestamp, hi = min_timestamp;
        for (const auto& x : rs) lo = std::min(lo, x.ts), hi = std::max(hi, x.ts);
        if (!spec_.timestamps) lo = hi = min_timestamp;
        emit(r.key, lo, hi, rs, out);
        rs.clear();
        return;
      }
      case window_spec::sliding: {
        bool any = false;
        for (int64_t start = t - spec_.size + 1; start <= t; ++start) {
          if (floor_mod(start, spec_.slide) != 0) continue;
          const int64_t end = start + spec_.size, max = end - 1;
          if (event() && cleanup(max) <= wm) {
            ++dropped;
            continue;
          }
          any = true;
          auto& w = windows_[{r.key, start}];
          w.end = end;
          w.records.push_back(r);
          if (event() && max <= wm) {
            ++refired;
            emit(r.key, start, end, w.records, out);
          }
        }
        if (!any) emit_late(r, out);
        return;
      }
      case window_spec::session: {
        auto& live = live_[r.key];
        auto with = live;
        const timed mine{t, r, next_id_++};
        with.push_back(mine);
        for (const auto& s : cluster(with)) {
          bool has = false;
          for (const auto& x : s.members) has = has || x.id == mine.id;
          if (!has) continue;
          if (s.members.size() == 1 && event() && cleanup(s.end - 1) <= wm) {
            emit_late(r, out);
            return;
          }
          live.push_back(mine);
          if (event() && s.end - 1 <= wm) {
            ++refired;
            emit(r.key, s.start, s.end, records_of(s), out);
          }
          return;
        }
        ADD_FAILURE() << "the record's session is missing";
        return;
      }
    }
  }

  // The sessions of a key's live records: sorted by time, a record joins the session before it
  // when its window [t, t + gap) touches or overlaps that session's [start, end).
  std::vector<session> cluster(std::vector<timed> rs) const {
    std::stable_sort(rs.begin(), rs.end(),
                     [](const timed& a, const timed& b) { return a.t < b.t; });
    std::vector<session> out;
    for (const auto& x : rs) {
      if (!out.empty() && x.t <= out.back().end) {
        out.back().end = std::max(out.back().end, x.t + spec_.size);
        out.back().members.push_back(x);
      } else {
        out.push_back({x.t, x.t + spec_.size, {x}});
      }
    }
    return out;
  }
  static std::vector<rec> records_of(const session& s) {
    std::vector<rec> rs;
    for (const auto& x : s.members) rs.push_back(x.r);
    return rs;
  }

  void advance_watermark(int64_t to, rows& out) {
    const int64_t from = wm;
    wm = to;
    if (!event()) return;
    if (spec_.shape == window_spec::sliding) {
      for (auto it = windows_.begin(); it != windows_.end();) {
        const int64_t max = it->second.end - 1;
        if (from < max && max <= to)
          emit(it->first.first, it->first.second, it->second.end, it->second.records, out);
        it = cleanup(max) <= to || to == max_timestamp ? windows_.erase(it) : std::next(it);
      }
    } else if (spec_.shape == window_spec::session) {
      for (auto& [key, live] : live_) {
        std::vector<timed> keep;
        for (const auto& s : cluster(live)) {
          const int64_t max = s.end - 1;
          if (from < max && max <= to) emit(key, s.start, s.end, records_of(s), out);
          if (cleanup(max) <= to || to == max_timestamp) continue;
          keep.insert(keep.end(), s.members.begin(), s.members.end());
        }
        live = std::move(keep);
      }
    }
  }

  void fire_processing(int64_t to, rows& out) {
    if (spec_.shape == window_spec::sliding) {
      for (auto it = windows_.begin(); it != windows_.end();) {
        if (it->second.end > to) {  // fires once the time has passed its max
          ++it;
          continue;
        }
        emit(it->first.first, it->first.second, it->second.end, it->second.records, out);
        it = windows_.erase(it);
      }
    } else if (spec_.shape == window_spec::session) {
      for (auto& [key, live] : live_) {
        std::vector<timed> keep;
        for (const auto& s : cluster(live)) {
          if (s.end <= to) {  // fires once the time has passed its max
            emit(key, s.start, s.end, records_of(s), out);
            continue;
          }
          keep.insert(keep.end(), s.members.begin(), s.members.end());
        }
        live = std::move(keep);
      }
    }
  }

  window_spec spec_;
  values_fn values_;
  std::map<window_key, window> windows_;
  std::map<std::string, std::vector<timed>> live_;
  std::map<std::string, std::vector<rec>> counting_;
  uint64_t next_id_ = 0;
};

// A random run: records over `keys` keys with timestamps up to `spread` out of order around a
// rising base, watermarks at (largest timestamp so far - out_of_orderness - 1) now and then, and
// processing times that rise slowly (repeats and lower ones included: both are ignored).
struct run_shape {
  size_t records = 3000;
  uint32_t keys = 20;
  int64_t spread = 40;
  int64_t out_of_orderness = 20;
  uint32_t watermark_every = 12;   // about one watermark per this many steps
  uint32_t processing_every = 10;  // about one processing time per this many steps
};

inline steps random_run(const run_shape& shape, uint64_t seed) {
  uint64_t x = seed;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  steps out;
  int64_t base = -1000, max_seen = min_timestamp, now = start_time;
  size_t records = 0;
  while (records < shape.records) {
    step s;
    if (next() % shape.watermark_every == 0) {
      if (max_seen == min_timestamp) continue;
      s.kind = step::watermark;
      s.time = max_seen - shape.out_of_orderness - 1;
    } else if (next() % shape.processing_every == 0) {
      s.kind = step::processing;
      now += static_cast<int64_t>(next() % 5) - 1;
      s.time = now;
    } else {
      auto ts = base + static_cast<int64_t>(next() % (2 * shape.spread + 1)) - shape.spread;
      s.r = rec{"k" + std::to_string(next() % shape.keys), ts,
                static_cast<int64_t>(next() % 100) - 30};
      max_seen = std::max(max_seen, ts);
      base += static_cast<int64_t>(next() % 3);
      ++records;
    }
    out.push_back(s);
  }
  return out;
}

// Runs `run` through `subtasks` instances (made by make(s, p, previous, now)) at parallelism p,
// checkpointing them halfway to step `cut` and at it, and continuing from the second checkpoint
// with p2 restored instances; compares every step's output with the model's. Returns the model
// (for its counters).
template <class Op, class Make>
window_model check_run(const steps& run, const window_spec& spec, contents c, Make make,
                       uint32_t p = 1, size_t cut = 0, uint32_t p2 = 0) {
  window_model m(spec, expected_values(c));
  std::vector<std::unique_ptr<instance<Op>>> subtasks;
  for (uint32_t s = 0; s < p; ++s)
    subtasks.push_back(std::make_unique<instance<Op>>(make(), s, p, snapshots{}, m.now));
  auto apply_all = [&](const step* st) {
    rows all;
    for (auto& i : subtasks) {
      auto got = st ? i->apply(*st) : i->end();
      all.insert(all.end(), got.begin(), got.end());
    }
    return sorted(all);
  };
  std::vector<detail::operator_snapshot> first;  // checkpoint 1, halfway to the cut
  for (size_t i = 0; i < run.size(); ++i) {
    if (p2 != 0 && i == cut / 2)
      for (auto& sub : subtasks) first.push_back(sub->checkpoint(1));
    if (p2 != 0 && i == cut) {
      // Each earlier subtask's chain: checkpoint 2, after checkpoint 1 if it is a delta over it.
      snapshots previous;
      for (size_t s = 0; s < subtasks.size(); ++s) {
        auto second = subtasks[s]->checkpoint(2);
        if (snapshot_testing::backend_under_test().backend == state_backend::leveldb) {
          EXPECT_NE(second.extends, 0u) << "leveldb: a delta";
        }
        if (second.extends != 0) {
          EXPECT_EQ(second.extends, 1u);
          previous.push_back(first[s]);
        }
        previous.push_back(std::move(second));
      }
      subtasks.clear();
      for (uint32_t s = 0; s < p2; ++s)
        subtasks.push_back(std::make_unique<instance<Op>>(make(), s, p2, previous, m.now));
    }
    auto expected = sorted(m.apply(run[i]));
    auto got = apply_all(&run[i]);
    if (got != expected) {
      ADD_FAILURE() << "step " << i << " of " << run.size();
      EXPECT_EQ(got, expected);
      return m;
    }
  }
  EXPECT_EQ(apply_all(nullptr), sorted(m.end())) << "end of input";
  for (auto& i : subtasks) {
    if (spec.shape != window_spec::count) {
      EXPECT_EQ(i->op->state_entries(), 0u) << "nothing left after the end";
    }
  }
  return m;
}

}  // namespace window_testing
}  // namespace nagare
