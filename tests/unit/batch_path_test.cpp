// The batch paths of operators (input_port::push_batch) against their paths
// record by record: the same records pushed one at a time into one instance
// and in batches into another must give the same output, in the same order,
// and the same state. The per-record paths are checked against independent
// models by the other suites (snapshot_keyed, window_operator, ...); here the
// per-record instance is the model. Batches come in the sizes where a batch
// path can go wrong: empty, one record, around the look-ahead distance of
// keyed operators (detail/keyed_batch.hpp), and large; with a key repeated
// within a batch, keys of many key groups, and keys looked up ahead while
// earlier records of the batch insert keys (the map grows mid-batch).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/detail/batch_buffer.hpp"
#include "nagare/detail/exchange.hpp"
#include "nagare/detail/keyed_batch.hpp"
#include "nagare/detail/process_operator.hpp"
#include "state_support.hpp"
#include "window_support.hpp"

namespace nagare {
namespace {

using namespace snapshot_testing;
using state_testing::on_both_backends;

constexpr size_t ahead = detail::keyed_batch<std::string>::distance;

// Batch sizes to cut a run into, cycled through.
const std::vector<size_t> batch_sizes = {0, 1, 2, ahead - 1, ahead, ahead + 1, 3, 1000, 0, 7};

// Calls push_batch on `in` with consecutive slices of `records` of the sizes
// in batch_sizes (cycled), copying each slice first (push_batch may move from
// its records).
template <class T>
void push_in_batches(detail::input_port<T>* in, const std::vector<T>& records,
                     const std::vector<size_t>& sizes = batch_sizes) {
  size_t at = 0;
  for (size_t b = 0; at < records.size(); ++b) {
    size_t n = std::min(sizes[b % sizes.size()], records.size() - at);
    std::vector<T> batch(records.begin() + static_cast<std::ptrdiff_t>(at),
                         records.begin() + static_cast<std::ptrdiff_t>(at + n));
    in->push_batch(batch.data(), batch.size());
    at += n;
  }
}
template <class T>
void push_each(detail::input_port<T>* in, const std::vector<T>& records) {
  for (auto r : records) in->push(r);
}

// Records over `keys` keys where each key comes in runs (so that batches
// hold repeated keys) and the keys spread over every key group.
std::vector<kv> runs_of_keys(size_t n, uint32_t keys, uint64_t seed) {
  auto all = records(n, keys, static_cast<uint32_t>(seed));
  for (size_t i = 1; i < all.size(); ++i)
    if (i % 5 != 0) all[i].first = all[i - 1].first;  // runs of up to five
  return all;
}

// The records of `all` whose keys subtask `s` of `p` owns.
std::vector<kv> owned_by(const std::vector<kv>& all, uint32_t s, uint32_t p) {
  std::vector<kv> mine;
  for (const auto& r : all)
    if (owner(r.first, p) == s) mine.push_back(r);
  return mine;
}

// Every key group of a snapshot, decoded into key -> bytes of the row.
std::map<uint32_t, std::string> key_groups(const detail::operator_snapshot& s) {
  std::map<uint32_t, std::string> out;
  for (const auto& [kg, bytes] : s.key_groups) out[kg] = bytes;
  return out;
}

using batch_path = on_both_backends;
INSTANTIATE_BACKENDS(batch_path);

// Aggregate: the totals at the end of input and the snapshot are the same,
// for a subtask that owns only part of the key groups too.
TEST_P(batch_path, aggregate_equals_the_per_record_path) {
  for (uint32_t p : {1u, 3u}) {
    const uint32_t s = p == 1 ? 0 : 1;
    auto input = owned_by(runs_of_keys(6000, 900, 7), s, p);
    auto one = make_aggregator(s, p), batched = make_aggregator(s, p);
    push_each<kv>(one->op.get(), input);
    push_in_batches<kv>(batched->op.get(), input);
    EXPECT_EQ(batched->op->state_entries(), one->op->state_entries());
    EXPECT_EQ(key_groups(batched->snapshot()), key_groups(one->snapshot()));
    one->op->finish();
    batched->op->finish();
    auto a = one->out.got, b = batched->out.got;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(b, a) << "parallelism " << p;
    EXPECT_FALSE(a.empty());
  }
}

// Reduce emits every running value: the same values in the same order.
TEST_P(batch_path, reduce_emits_the_same_values_in_the_same_order) {
  auto input = runs_of_keys(5000, 700, 11);
  auto one = make_reducer(), batched = make_reducer();
  push_each<kv>(one->op.get(), input);
  push_in_batches<kv>(batched->op.get(), input);
  EXPECT_EQ(batched->out.got, one->out.got);
  EXPECT_EQ(batched->out.got.size(), input.size());
  EXPECT_EQ(key_groups(batched->snapshot()), key_groups(one->snapshot()));
}

// A batch of one key only, and batches of a single record each: the
// look-ahead ring wraps over the same key, and the first record of a batch
// has nothing looked ahead of it.
TEST_P(batch_path, a_batch_of_one_key_and_batches_of_one_record) {
  std::vector<kv> same(3 * ahead + 5, kv{"only", 2});
  auto one = make_reducer(), batched = make_reducer(), singles = make_reducer();
  push_each<kv>(one->op.get(), same);
  push_in_batches<kv>(batched->op.get(), same, {same.size()});
  push_in_batches<kv>(singles->op.get(), same, {1});
  EXPECT_EQ(batched->out.got, one->out.got);
  EXPECT_EQ(singles->out.got, one->out.got);
  ASSERT_FALSE(one->out.got.empty());
  EXPECT_EQ(one->out.got.back(), (kv{"only", 2 * static_cast<int64_t>(same.size())}));
}

// A keyed process function with value state, event-time timers and a
// collector: the same output, record by record and timer by timer.
struct count_and_remind {
  value_state<int64_t> seen;
  void open(state_context& ctx) { seen = ctx.value<int64_t>("seen"); }
  void process(const kv& r, keyed_context<std::string>& ctx, collector<kv>& out) {
    auto& n = seen.set_default(0);
    n += r.second;
    if (n % 3 == 0) seen.clear();  // releases the key now and then
    ctx.register_event_time_timer(r.second + 50);
    out.emit({ctx.key(), n});
  }
  void on_timer(int64_t t, time_domain, keyed_context<std::string>& ctx, collector<kv>& out) {
    out.emit({ctx.key() + "@", t});
  }
};
struct kv_time {
  int64_t operator()(const kv& r) const { return r.second; }
};

TEST_P(batch_path, process_function_with_state_and_timers) {
  using op = detail::process_operator<kv, kv, first_of, count_and_remind>;
  auto make = [] { return std::make_unique<op>(first_of{}, count_and_remind{}, kv_time{}); };
  harness<op, kv> one(make(), where(0, 1)), batched(make(), where(0, 1));
  ASSERT_TRUE(one.restore({}).ok());
  ASSERT_TRUE(batched.restore({}).ok());
  auto input = runs_of_keys(4000, 300, 5);
  // Watermarks between slices of the input fire timers in between.
  for (size_t at = 0, step = 0; at < input.size(); ++step) {
    size_t n = std::min<size_t>(250 + 37 * (step % 5), input.size() - at);
    std::vector<kv> slice(input.begin() + static_cast<std::ptrdiff_t>(at),
                          input.begin() + static_cast<std::ptrdiff_t>(at + n));
    push_each<kv>(one.op.get(), slice);
    push_in_batches<kv>(batched.op.get(), slice);
    at += n;
    const int64_t wm = static_cast<int64_t>(step) * 3 - 20;
    while (!one.op->on_watermark(wm, 7)) {
    }
    while (!batched.op->on_watermark(wm, 7)) {
    }
    ASSERT_EQ(batched.out.got, one.out.got) << "after slice " << step;
  }
  EXPECT_EQ(key_groups(batched.snapshot()), key_groups(one.snapshot()));
  EXPECT_EQ(batched.op->state_entries(), one.op->state_entries());
}

// Window operators (panes, a window per accumulator, sessions, count
// windows) over random out-of-order runs: the records between two
// watermarks or processing times go in as batches, and the output up to
// each watermark or processing time (the records', then what the step
// fired) must be the same.
template <class Op, class Make>
void check_batched_run(const window_testing::steps& run, Make make) {
  using namespace window_testing;
  instance<Op> one(make(), 0, 1), batched(make(), 0, 1);
  std::vector<rec> pending;
  window_testing::rows expected;
  for (size_t i = 0; i < run.size(); ++i) {
    const auto& s = run[i];
    auto out = one.apply(s);
    expected.insert(expected.end(), out.begin(), out.end());
    if (s.kind == step::record) {
      pending.push_back(s.r);
      continue;
    }
    push_in_batches<rec>(batched.op.get(), pending);
    pending.clear();
    auto got = batched.take();
    auto fired = batched.apply(s);
    got.insert(got.end(), fired.begin(), fired.end());
    ASSERT_EQ(got, expected) << "step " << i;
    expected.clear();
  }
  push_in_batches<rec>(batched.op.get(), pending);
  auto got = batched.take();
  auto last = batched.end();
  got.insert(got.end(), last.begin(), last.end());
  auto end = one.end();
  expected.insert(expected.end(), end.begin(), end.end());
  EXPECT_EQ(got, expected) << "end of input";
  EXPECT_EQ(batched.op->late_records(), one.op->late_records());
}

TEST_P(batch_path, window_operators) {
  using namespace window_testing;
  run_shape shape;
  shape.records = 2500;
  shape.watermark_every = 40;  // long runs of records between watermarks
  auto run = random_run(shape, 3);
  aggregate_contents agg{count_sum{}};
  {
    SCOPED_TRACE("sliding windows by panes");
    using op = detail::time_window_operator_t<rec, key_of, aggregate_contents>;
    sliding_window_assigner a{30, 10, time_domain::event_time};
    check_batched_run<op>(run,
                          [&] { return std::make_unique<op>(key_of{}, a, 5, agg, timestamps()); });
  }
  {
    SCOPED_TRACE("sliding windows, an accumulator per window");
    using op = detail::window_operator<rec, key_of, sliding_window_assigner, aggregate_contents>;
    sliding_window_assigner a{30, 10, time_domain::event_time};
    check_batched_run<op>(run,
                          [&] { return std::make_unique<op>(key_of{}, a, 5, agg, timestamps()); });
  }
  {
    SCOPED_TRACE("sessions");
    using op = detail::window_operator<rec, key_of, session_window_assigner, aggregate_contents>;
    session_window_assigner a{8, time_domain::event_time};
    check_batched_run<op>(run,
                          [&] { return std::make_unique<op>(key_of{}, a, 0, agg, timestamps()); });
  }
  {
    SCOPED_TRACE("count windows");
    using op = detail::count_window_operator<rec, key_of, aggregate_contents>;
    count_window_assigner a{4};
    check_batched_run<op>(run,
                          [&] { return std::make_unique<op>(key_of{}, a, agg, timestamps()); });
  }
}

// Stateless operators: map, filter (every pattern of passing and dropped
// records: none, all, alternating, runs), flat_map and tee.
template <class In, class Out, class Op>
void check_stateless(Op& one, Op& batched, const std::vector<In>& input) {
  capture<Out> a, b;
  one.connect(static_cast<detail::input_port<Out>*>(&a));
  batched.connect(static_cast<detail::input_port<Out>*>(&b));
  push_each<In>(&one, input);
  push_in_batches<In>(&batched, input);
  EXPECT_EQ(b.got, a.got);
}

TEST(batch_path_stateless, map_filter_flat_map) {
  std::vector<int64_t> input;
  for (int64_t i = 0; i < 3000; ++i) input.push_back((i * 7919) % 1000);
  auto twice = [](int64_t x) { return 2 * x; };
  detail::map_operator<int64_t, int64_t, decltype(twice)> m1(twice), m2(twice);
  check_stateless<int64_t, int64_t>(m1, m2, input);

  for (int pattern = 0; pattern < 4; ++pattern) {
    SCOPED_TRACE("filter pattern " + std::to_string(pattern));
    auto keep = [pattern](const int64_t& x) {
      switch (pattern) {
        case 0:
          return false;
        case 1:
          return true;
        case 2:
          return x % 2 == 0;
        default:
          return (x / 100) % 2 == 0;
      }
    };
    detail::filter_operator<int64_t, decltype(keep)> f1(keep), f2(keep);
    check_stateless<int64_t, int64_t>(f1, f2, input);
  }

  auto spread = [](const int64_t& x, collector<int64_t>& out) {
    for (int64_t k = 0; k < x % 4; ++k) out.emit(x + k);
  };
  detail::flat_map_operator<int64_t, int64_t, decltype(spread)> fm1(spread), fm2(spread);
  check_stateless<int64_t, int64_t>(fm1, fm2, input);
}

TEST(batch_path_stateless, tee_gives_each_successor_the_whole_stream) {
  std::vector<std::string> input;
  for (int i = 0; i < 700; ++i) input.push_back("r" + std::to_string(i));
  detail::tee_operator<std::string> tee;
  capture<std::string> a, b, c;
  tee.connect(static_cast<detail::input_port<std::string>*>(&a));
  tee.connect(static_cast<detail::input_port<std::string>*>(&b));
  tee.connect(static_cast<detail::input_port<std::string>*>(&c));
  push_in_batches<std::string>(&tee, input);
  EXPECT_EQ(a.got, input);
  EXPECT_EQ(b.got, input);
  EXPECT_EQ(c.got, input);
}

// Exchange writers: the batches a writer emits (channel, records) are the
// same record by record and batch by batch, with one channel (moved in runs)
// and with several (routed record by record).
class batches_emitted final : public detail::batch_emitter {
 public:
  void emit(uint32_t channel, owned<detail::record_batch> batch) override {
    got.emplace_back(channel, static_cast<detail::typed_batch<kv>&>(*batch).records);
  }
  std::vector<std::pair<uint32_t, std::vector<kv>>> got;
};

TEST(batch_path_stateless, exchange_writer_emits_the_same_batches) {
  auto input = runs_of_keys(5000, 400, 3);
  for (uint32_t channels : {1u, 3u}) {
    SCOPED_TRACE(std::to_string(channels) + " channels");
    batches_emitted a, b;
    auto make = [channels](batches_emitted* to) {
      detail::writer_config cfg;
      cfg.kind = detail::partition::keyed;
      cfg.emitter = to;
      cfg.first_channel = 2;
      cfg.channels = channels;
      cfg.max_parallelism = max_par;
      cfg.batch_records = 100;
      using route = detail::key_route<kv, first_of>;
      return std::make_unique<detail::routing_writer<kv, route>>(
          cfg, route{first_of{}, max_par, channels});
    };
    auto one = make(&a), batched = make(&b);
    push_each<kv>(one.get(), input);
    push_in_batches<kv>(batched.get(), input);
    one->flush();
    batched->flush();
    EXPECT_EQ(b.got, a.got);
    EXPECT_GE(a.got.size(), input.size() / 100);
  }
}

// A buffered collector hands records on in batches, in order, and flushes
// before a split change and when told to.
class counting_port final : public detail::input_port<int64_t> {
 public:
  void push(int64_t& r) override { got.push_back(r); }
  void push_batch(int64_t* records, size_t n) override {
    sizes.push_back(n);
    got.insert(got.end(), records, records + n);
  }
  std::vector<int64_t> got;
  std::vector<size_t> sizes;
};

TEST(batch_path_stateless, buffered_collector_flushes_before_a_split_change) {
  counting_port port;
  detail::batch_buffer<int64_t> buffer(&port);
  collector<int64_t> out(&buffer, nullptr);
  const size_t full = detail::batch_buffer_records;
  for (int64_t i = 0; i < static_cast<int64_t>(full + 3); ++i) out.emit(i);
  EXPECT_EQ(port.got.size(), full) << "a full buffer goes on";
  out.split("b");
  EXPECT_EQ(port.got.size(), full + 3) << "a split change flushes";
  out.emit(-1);
  out.split_finished("b");
  EXPECT_EQ(port.got.size(), full + 4);
  buffer.flush();  // nothing held: no empty batch
  EXPECT_EQ(port.sizes, (std::vector<size_t>{full, 3, 1}));
  EXPECT_EQ(out.emitted(), full + 4);
  for (size_t i = 0; i + 1 < port.got.size(); ++i) EXPECT_EQ(port.got[i], static_cast<int64_t>(i));
}

// A port that keeps every record and, like an operator that takes its input,
// moves each one out of the batch.
struct moving_port final : detail::input_port<std::string> {
  void push(std::string& record) override { got.push_back(std::move(record)); }
  void push_batch(std::string* records, size_t n) override {
    for (size_t i = 0; i < n; ++i) got.push_back(std::move(records[i]));
  }
  std::vector<std::string> got;
};

// A reader that fills one buffer again for every line (the text reader)
// emits it with emit_from: through a buffered collector each record is a
// copy, whatever the next operator does with the slot it was given.
TEST(batch_path_stateless, emit_from_a_reused_buffer_through_a_buffered_collector) {
  moving_port port;
  detail::batch_buffer<std::string> buffer(&port);
  collector<std::string> out(&buffer, nullptr);
  std::vector<std::string> expected;
  std::string line;
  for (size_t i = 0; i < 3 * detail::batch_buffer_records + 5; ++i) {
    line.assign(i % 50, static_cast<char>('a' + i % 26));
    line += std::to_string(i);
    expected.push_back(line);
    out.emit_from(line);
    EXPECT_EQ(line, expected.back()) << "emit_from leaves the caller's record as it was";
  }
  buffer.flush();
  EXPECT_EQ(port.got, expected);
  EXPECT_EQ(out.emitted(), expected.size());
}

}  // namespace
}  // namespace nagare
