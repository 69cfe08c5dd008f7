// Task chains: the operators of one subtask wired from batch reader or source
// to exchange writers. A fake emitter stands in for the task's output channels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/job.hpp"
#include "plan.hpp"
#include "split_support.hpp"
#include "task_chain.hpp"

namespace nagare {
namespace {

using kv = std::pair<std::string, int64_t>;
using counted = std::pair<std::string, uint64_t>;
using strings = std::vector<std::string>;

// Records every batch a chain's writers hand to the task, in order.
class recording_emitter final : public detail::batch_emitter {
 public:
  struct emitted {
    uint32_t channel;
    std::shared_ptr<detail::record_batch> batch;
  };
  void emit(uint32_t channel, owned<detail::record_batch> batch) override {
    out.push_back({channel, std::shared_ptr<detail::record_batch>(batch.release())});
  }
  // Every record emitted on `channel` (all channels when unset), in order.
  template <class T>
  std::vector<T> records(int channel = -1) const {
    std::vector<T> all;
    for (const auto& e : out) {
      if (channel >= 0 && e.channel != static_cast<uint32_t>(channel)) continue;
      const auto& rs = static_cast<const detail::typed_batch<T>&>(*e.batch).records;
      all.insert(all.end(), rs.begin(), rs.end());
    }
    return all;
  }
  std::vector<emitted> out;
};

// The owner of a string key among `parallelism` subtasks, computed from the public hash functions.
uint32_t owner(const std::string& key, uint32_t max_parallelism, uint32_t parallelism) {
  return subtask_of(key_group_of(key_hash<std::string>{}(key), max_parallelism), max_parallelism,
                    parallelism);
}

// The first `n` keys "k0", "k1", ... that subtask `s` of `p` owns.
strings keys_owned_by(uint32_t s, uint32_t p, uint32_t max, size_t n) {
  strings keys;
  for (uint32_t i = 0; keys.size() < n; ++i)
    if (owner("k" + std::to_string(i), max, p) == s) keys.push_back("k" + std::to_string(i));
  return keys;
}

template <class T>
detail::typed_batch<T> batch_of(std::vector<T> records) {
  detail::typed_batch<T> b;
  b.records = std::move(records);
  return b;
}

// source -> key_by(first).reduce(sum of second) ["sum", parallelism 2] -> sink [parallelism 1]
detail::graph reduce_graph() {
  detail::graph g;
  job j(g);
  j.source(generator_source<kv>(0, [](uint64_t) { return kv{}; }))
      .key_by([](const kv& r) { return r.first; })
      .reduce([](const kv& a, const kv& b) {
        return kv{a.first, a.second + b.second};
      })
      .name("sum")
      .sink(stdout_sink<kv>())
      .parallelism(1);
  return g;
}

// source -> key_by(word).aggregate(count) ["count", parallelism 2] -> sink [parallelism 1]
detail::graph count_graph(uint64_t words = 0) {
  detail::graph g;
  job j(g);
  j.source(generator_source<std::string>(words, [](uint64_t i) { return "w" + std::to_string(i); }))
      .key_by([](const std::string& w) { return w; })
      .aggregate(count())
      .name("count")
      .parallelism(3)
      .sink(stdout_sink<counted>())
      .parallelism(1);
  return g;
}

struct built {
  physical_plan plan;
  std::unique_ptr<task_chain> chain;
};

// Plans `g` and builds (and opens) the chain of one task.
built build(const detail::graph& g, uint32_t vertex, uint32_t subtask,
            detail::batch_emitter* emitter, uint32_t batch_records, plan_options opts = {2, 128}) {
  built b;
  auto p = make_plan(g, "test", opts);
  EXPECT_TRUE(p.ok()) << p.error().message();
  if (!p.ok()) return b;
  b.plan = p.value();
  auto c = task_chain::build(g, b.plan, vertex, subtask, emitter, chain_options{batch_records});
  EXPECT_TRUE(c.ok()) << c.error().message();
  if (!c.ok()) return b;
  b.chain = std::move(c.value());
  auto st = b.chain->open();
  EXPECT_TRUE(st.ok()) << st.message();
  // A source's splits, as the job master would send them before the start.
  if (b.chain->is_source())
    b.chain->add_splits(testing::plan_splits(b.plan, vertex, subtask),
                        b.plan.vertices[vertex].enumerator.has_value());
  return b;
}

// The chain of a vertex's subtask knows where it runs.
TEST(task_chain, describes_its_subtask) {
  recording_emitter em;
  auto b = build(reduce_graph(), 1, 1, &em, 16, {2, 64});
  ASSERT_TRUE(b.chain);
  EXPECT_EQ(b.chain->info().task_name, "sum (2/2)");
  EXPECT_EQ(b.chain->info().subtask, 1u);
  EXPECT_EQ(b.chain->info().parallelism, 2u);
  EXPECT_EQ(b.chain->info().max_parallelism, 64u);
  EXPECT_EQ(b.chain->info().batch_records, 16u);
  EXPECT_FALSE(b.chain->is_source());
  EXPECT_EQ(b.chain->input_gates(), 1u);
}

// A task the plan does not have is an internal error, not a crash.
TEST(task_chain, rejects_unknown_task) {
  auto g = reduce_graph();
  auto p = make_plan(g, "test", {2, 128});
  ASSERT_TRUE(p.ok());
  recording_emitter em;
  EXPECT_FALSE(task_chain::build(g, p.value(), 7, 0, &em, {}).ok());
  auto r = task_chain::build(g, p.value(), 1, 2, &em, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::internal);
}

// A task answers status queries (shell `actors`) from the moment it is
// deployed, before its connect opens the chain: the state entries of a keyed
// operator that is not open yet are 0, not a null state backend
// (regression: the node crashed with SIGSEGV in keyed_state::size).
TEST(task_chain, state_entries_before_open_are_zero) {
  auto g = reduce_graph();
  auto p = make_plan(g, "test", {2, 128});
  ASSERT_TRUE(p.ok());
  recording_emitter em;
  auto c = task_chain::build(g, p.value(), 1, 0, &em, chain_options{16});
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto& chain = *c.value();
  EXPECT_EQ(chain.state_entries(), 0u);
  ASSERT_TRUE(chain.open().ok());
  auto a = keys_owned_by(0, 2, 128, 1)[0];
  auto records = batch_of<kv>({{a, 1}});
  chain.process(0, records);
  EXPECT_EQ(chain.state_entries(), 1u);
}

// Rolling reduce emits the running value of its key for every record, in input order.
TEST(task_chain, reduce_emits_a_rolling_value_per_record) {
  auto keys = keys_owned_by(0, 2, 128, 2);
  const auto& a = keys[0];
  const auto& b = keys[1];
  recording_emitter em;
  auto t = build(reduce_graph(), 1, 0, &em, 1024);
  ASSERT_TRUE(t.chain);
  auto first = batch_of<kv>({{a, 1}, {b, 10}, {a, 2}});
  auto second = batch_of<kv>({{a, 3}, {b, 20}});
  EXPECT_EQ(t.chain->process(0, first), 3u);
  EXPECT_EQ(t.chain->process(0, second), 2u);
  EXPECT_TRUE(em.out.empty()) << "a partial batch left before flush()";
  t.chain->flush();
  ASSERT_EQ(em.out.size(), 1u);
  EXPECT_EQ(em.out[0].channel, 0u);
  EXPECT_EQ(em.records<kv>(), (std::vector<kv>{{a, 1}, {b, 10}, {a, 3}, {a, 6}, {b, 30}}));
  t.chain->finish();
  EXPECT_EQ(em.out.size(), 1u) << "reduce holds nothing back at finish()";
  EXPECT_TRUE(t.chain->close().ok());
}

// Reduce state is per key and survives across batches and flushes.
TEST(task_chain, reduce_state_survives_flush) {
  auto a = keys_owned_by(1, 2, 128, 1)[0];
  recording_emitter em;
  auto t = build(reduce_graph(), 1, 1, &em, 1024);
  ASSERT_TRUE(t.chain);
  auto first = batch_of<kv>({{a, 5}});
  t.chain->process(0, first);
  t.chain->flush();
  auto second = batch_of<kv>({{a, 7}});
  t.chain->process(0, second);
  t.chain->flush();
  EXPECT_EQ(em.records<kv>(), (std::vector<kv>{{a, 5}, {a, 12}}));
}

// Aggregate emits nothing while input arrives, then one (key, count) per key at finish().
TEST(task_chain, aggregate_emits_once_per_key_at_finish) {
  auto keys = keys_owned_by(2, 3, 128, 3);
  recording_emitter em;
  auto t = build(count_graph(), 1, 2, &em, 1024);
  ASSERT_TRUE(t.chain);
  auto first = batch_of<std::string>({keys[0], keys[1], keys[0]});
  auto second = batch_of<std::string>({keys[2], keys[0], keys[1]});
  t.chain->process(0, first);
  t.chain->process(0, second);
  t.chain->flush();
  EXPECT_TRUE(em.out.empty()) << "aggregate emitted before its input ended";
  t.chain->finish();
  auto got = em.records<counted>();
  std::sort(got.begin(), got.end());
  std::vector<counted> expected{{keys[0], 3}, {keys[1], 2}, {keys[2], 1}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
}

// Full batches leave as soon as they fill; flush() sends the rest; none exceeds batch_records.
TEST(task_chain, batches_never_exceed_batch_records) {
  auto keys = keys_owned_by(0, 2, 128, 2);
  recording_emitter em;
  auto t = build(reduce_graph(), 1, 0, &em, 2);
  ASSERT_TRUE(t.chain);
  auto in = batch_of<kv>({{keys[0], 1}, {keys[1], 1}, {keys[0], 1}, {keys[1], 1}, {keys[0], 1}});
  t.chain->process(0, in);
  ASSERT_EQ(em.out.size(), 2u);
  for (const auto& e : em.out) EXPECT_EQ(e.batch->size(), 2u);
  t.chain->flush();
  ASSERT_EQ(em.out.size(), 3u);
  EXPECT_EQ(em.out[2].batch->size(), 1u);
  EXPECT_EQ(
      em.records<kv>(),
      (std::vector<kv>{{keys[0], 1}, {keys[1], 1}, {keys[0], 2}, {keys[1], 2}, {keys[0], 3}}));
  // Nothing is pending: another flush emits nothing (batches are never empty).
  t.chain->flush();
  EXPECT_EQ(em.out.size(), 3u);
}

// The source's keyed writer sends each key to the subtask owning its key group, in batches of at
// most batch_records.
TEST(task_chain, keyed_writer_routes_by_key_group) {
  constexpr uint32_t max = 64;
  constexpr uint32_t batch_records = 4;
  recording_emitter em;
  auto t = build(count_graph(100), 0, 1, &em, batch_records, {2, max});
  ASSERT_TRUE(t.chain);
  ASSERT_TRUE(t.chain->is_source());
  bool end = false;
  uint64_t produced = 0;
  for (int polls = 0; !end && polls < 1000; ++polls)
    ASSERT_TRUE(t.chain->poll(7, produced, end).ok());
  ASSERT_TRUE(end);
  EXPECT_EQ(produced, 50u);
  const auto during_poll = em.out.size();
  for (const auto& e : em.out)
    EXPECT_EQ(e.batch->size(), batch_records) << "only full batches leave before flush()";
  t.chain->flush();
  for (size_t i = during_poll; i < em.out.size(); ++i) {
    EXPECT_GT(em.out[i].batch->size(), 0u);
    EXPECT_LT(em.out[i].batch->size(), batch_records);
  }
  // Subtask 1 of 2 generates the odd indices.
  strings expected;
  for (uint64_t i = 1; i < 100; i += 2) expected.push_back("w" + std::to_string(i));
  strings all;
  for (uint32_t ch = 0; ch < 3; ++ch) {
    auto got = em.records<std::string>(static_cast<int>(ch));
    EXPECT_FALSE(got.empty()) << "channel " << ch;
    for (const auto& w : got) EXPECT_EQ(owner(w, max, 3), ch) << w;
    all.insert(all.end(), got.begin(), got.end());
  }
  for (const auto& e : em.out) EXPECT_LT(e.channel, 3u);
  std::sort(all.begin(), all.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);
}

// A round-robin writer starts at its own subtask's channel, so subtasks do not all hit channel 0
// first.
TEST(task_chain, rebalance_writer_staggers_by_subtask) {
  detail::graph g;
  job j(g);
  j.source(generator_source<std::string>(12, [](uint64_t i) { return std::to_string(i); }))
      .map([](std::string s) { return s; })
      .parallelism(3)
      .sink(stdout_sink<std::string>())
      .parallelism(3);
  recording_emitter em;
  auto t = build(g, 0, 1, &em, 1);
  ASSERT_TRUE(t.chain);
  bool end = false;
  uint64_t produced = 0;
  ASSERT_TRUE(t.chain->poll(100, produced, end).ok());
  ASSERT_TRUE(end);
  EXPECT_EQ(produced, 6u);
  std::vector<uint32_t> channels;
  for (const auto& e : em.out) channels.push_back(e.channel);
  EXPECT_EQ(channels, (std::vector<uint32_t>{1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(em.records<std::string>(), (strings{"1", "3", "5", "7", "9", "11"}));
}

// A stream read by two consumers reaches both output channels in full, through a tee.
TEST(task_chain, fan_out_sends_every_record_to_each_consumer) {
  detail::graph g;
  job j(g);
  auto s = j.source(
      generator_source<std::string>(6, [](uint64_t i) { return "r" + std::to_string(i); }));
  s.sink(stdout_sink<std::string>());
  s.sink(stdout_sink<std::string>());
  recording_emitter em;
  auto t = build(g, 0, 0, &em, 1024);
  ASSERT_TRUE(t.chain);
  bool end = false;
  uint64_t produced = 0;
  ASSERT_TRUE(t.chain->poll(100, produced, end).ok());
  EXPECT_EQ(produced, 3u) << "a record read once counts once, however many consumers";
  t.chain->finish();
  strings expected{"r0", "r2", "r4"};
  EXPECT_EQ(em.records<std::string>(0), expected);
  EXPECT_EQ(em.records<std::string>(1), expected);
}

// --- event time and processing time ------------------------------------------

using event_log = std::shared_ptr<std::vector<std::string>>;

// Logs what it sees as "<name>:<record>", "<name>:wm <W>" and "<name>:now <T>" and passes records
// on; it emits "fired@<W>" `fires` times for each watermark, as many window timers would, at
// most max_timers at a time.
class probe final : public detail::one_input_operator<std::string, std::string> {
 public:
  probe(std::string name, event_log log, size_t fires, std::shared_ptr<bool> wants = nullptr)
      : name_(std::move(name)), log_(std::move(log)), fires_(fires), wants_(std::move(wants)) {}
  void push(std::string& r) override {
    log_->push_back(name_ + ":" + r);
    next_->push(r);
  }
  bool on_watermark(int64_t wm, size_t max_timers) override {
    if (wm != step_) {  // a new step; otherwise the rest of one that stopped at max_timers
      log_->push_back(name_ + ":wm " + std::to_string(wm));
      step_ = wm;
      left_ = fires_;
    }
    for (size_t n = 0; left_ > 0 && n < max_timers; ++n, --left_) {
      std::string fired = "fired@" + std::to_string(wm);
      next_->push(fired);
    }
    return left_ == 0;
  }
  void on_processing_time(int64_t now) override {
    log_->push_back(name_ + ":now " + std::to_string(now));
  }
  bool wants_processing_time() const override { return wants_ && *wants_; }

 private:
  std::string name_;
  event_log log_;
  size_t fires_;
  std::shared_ptr<bool> wants_;
  int64_t step_ = min_timestamp;
  size_t left_ = 0;
};

// source [1] -> A (fires on watermarks) -> B (records) [2, chained] -> sink [1]: vertex 1 is
// the chain under test, its output an exchange to the sink.
detail::graph probe_graph(const event_log& log, const std::shared_ptr<bool>& wants,
                          size_t fires = 1) {
  detail::graph g;
  job j(g);
  auto src = j.source(generator_source<std::string>(0, [](uint64_t) {
                return std::string();
              })).parallelism(1);
  auto add = [&](data_stream<std::string>& from, const std::string& name, size_t fires) {
    auto& n = from.add_node("probe", name, from.forward_edge());
    n.make_operator = [name, log, fires, wants] {
      return std::make_unique<probe>(name, log, fires, wants);
    };
    n.make_tee = [] { return std::make_unique<detail::tee_operator<std::string>>(); };
    n.parallelism = 2;
    return data_stream<std::string>(&g, n.id);
  };
  auto a = add(src, "A", fires);
  auto b = add(a, "B", 0);
  b.sink(stdout_sink<std::string>()).parallelism(1);
  return g;
}

// A watermark passes the chain head to tail after the records before it; what an operator emits
// in on_watermark reaches the next operator before the watermark does, and leaves the chain
// (flushed) before advance_watermark() returns.
TEST(task_chain, watermark_follows_the_records_down_the_chain) {
  auto log = std::make_shared<std::vector<std::string>>();
  auto g = probe_graph(log, nullptr);
  recording_emitter em;
  auto t = build(g, 1, 0, &em, 1024);
  ASSERT_TRUE(t.chain);
  ASSERT_EQ(t.chain->nodes().size(), 2u) << "A and B chained";
  EXPECT_EQ(t.chain->watermark(), min_timestamp);
  auto in = batch_of<std::string>({"r1", "r2"});
  t.chain->process(0, in);
  EXPECT_TRUE(em.out.empty());
  ASSERT_TRUE(t.chain->advance_watermark(10));
  EXPECT_EQ(*log, (strings{"A:r1", "B:r1", "A:r2", "B:r2", "A:wm 10", "B:fired@10", "B:wm 10"}));
  EXPECT_EQ(em.records<std::string>(), (strings{"r1", "r2", "fired@10"}))
      << "flushed before the watermark is forwarded";
  EXPECT_EQ(t.chain->watermark(), 10);
}

// A step whose timers are more than max_timers stays pending: the next operator sees neither the
// watermark nor a flush until resume_watermark() has fired them all.
TEST(task_chain, watermark_step_fires_timers_in_slices) {
  auto log = std::make_shared<std::vector<std::string>>();
  auto g = probe_graph(log, nullptr, 5);
  recording_emitter em;
  auto t = build(g, 1, 0, &em, 1024);
  ASSERT_TRUE(t.chain);
  ASSERT_TRUE(t.chain->advance_watermark(10, 2));
  EXPECT_TRUE(t.chain->watermark_pending());
  EXPECT_EQ(*log, (strings{"A:wm 10", "B:fired@10", "B:fired@10"}));
  t.chain->resume_watermark(2);
  EXPECT_TRUE(t.chain->watermark_pending());
  EXPECT_EQ(log->size(), 5u);
  EXPECT_TRUE(em.out.empty()) << "no flush in the middle of a step";
  t.chain->resume_watermark(2);
  EXPECT_FALSE(t.chain->watermark_pending());
  EXPECT_EQ(log->size(), 7u);
  EXPECT_EQ(log->back(), "B:wm 10");
  EXPECT_EQ(em.records<std::string>(), strings(5, "fired@10"));
  EXPECT_FALSE(t.chain->advance_watermark(10, 2)) << "the step is done";
}

// Watermarks only advance: an equal or lower one reaches no operator.
TEST(task_chain, watermark_never_goes_back) {
  auto log = std::make_shared<std::vector<std::string>>();
  auto g = probe_graph(log, nullptr);
  recording_emitter em;
  auto t = build(g, 1, 1, &em, 1024);
  ASSERT_TRUE(t.chain);
  ASSERT_TRUE(t.chain->advance_watermark(100));
  EXPECT_FALSE(t.chain->advance_watermark(100));
  EXPECT_FALSE(t.chain->advance_watermark(-5));
  EXPECT_EQ(t.chain->watermark(), 100);
  ASSERT_TRUE(t.chain->advance_watermark(max_timestamp));
  EXPECT_EQ(*log,
            (strings{"A:wm 100", "B:fired@100", "B:wm 100", "A:wm " + std::to_string(max_timestamp),
                     "B:fired@" + std::to_string(max_timestamp),
                     "B:wm " + std::to_string(max_timestamp)}));
}

// Processing time reaches every operator head to tail and never decreases; the chain wants
// ticks while any operator does.
TEST(task_chain, processing_time_reaches_every_operator) {
  auto log = std::make_shared<std::vector<std::string>>();
  auto wants = std::make_shared<bool>(false);
  auto g = probe_graph(log, wants);
  recording_emitter em;
  auto t = build(g, 1, 0, &em, 1024);
  ASSERT_TRUE(t.chain);
  t.chain->advance_processing_time(1000);
  t.chain->advance_processing_time(900);
  EXPECT_EQ(*log, (strings{"A:now 1000", "B:now 1000", "A:now 1000", "B:now 1000"}));
  EXPECT_FALSE(t.chain->wants_processing_time());
  *wants = true;
  EXPECT_TRUE(t.chain->wants_processing_time());
}

// A source chain reports its source's watermark after each poll; a source without a strategy
// has none.
TEST(task_chain, source_chain_reports_the_source_watermark) {
  auto build_source = [](bool with_strategy, recording_emitter& em) {
    detail::graph g;
    job j(g);
    auto gen = generator_source<int64_t>(10, [](uint64_t i) { return int64_t(i) * 100; });
    auto s = with_strategy ? j.source(gen, watermark_strategy<int64_t>::bounded_out_of_orderness(
                                               50, [](const int64_t& v) { return v; }))
                           : j.source(gen);
    s.parallelism(1).sink(stdout_sink<int64_t>()).parallelism(2);
    return build(g, 0, 0, &em, 1024);
  };
  recording_emitter em;
  auto t = build_source(true, em);
  ASSERT_TRUE(t.chain);
  std::vector<std::vector<detail::operator_snapshot>> none(t.chain->nodes().size());
  ASSERT_TRUE(t.chain->restore(none).ok());
  bool end = false;
  uint64_t produced = 0;
  ASSERT_TRUE(t.chain->poll(4, produced, end).ok());
  EXPECT_EQ(t.chain->source_watermark(), 300 - 50 - 1);
  EXPECT_FALSE(t.chain->source_idle());
  EXPECT_EQ(t.chain->watermark(), min_timestamp) << "the task decides when the chain advances";

  recording_emitter em2;
  auto plain = build_source(false, em2);
  ASSERT_TRUE(plain.chain);
  ASSERT_TRUE(plain.chain->poll(4, produced, end).ok());
  EXPECT_EQ(plain.chain->source_watermark(), min_timestamp);
}

}  // namespace
}  // namespace nagare
