// Keyed process functions end to end through task chains: a user function
// with value, list and map state sees each record with its key, emits what
// an independent std::map computation expects, and resumes from a snapshot
// at another parallelism.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/job.hpp"
#include "plan.hpp"
#include "record_collector.hpp"
#include "state_support.hpp"
#include "task_chain.hpp"

namespace nagare {
namespace {

using kv = std::pair<std::string, int64_t>;
using kvs = std::vector<kv>;

constexpr uint32_t max_par = 128;

// Every case runs on both state backends (leveldb with a cache of a few keys).
using state_process = state_testing::on_both_backends;
INSTANTIATE_BACKENDS(state_process);

// Every record the chain's writers emitted, in order.
using recording_emitter = test::record_collector<kv>;

uint32_t owner(const std::string& key, uint32_t parallelism) {
  return subtask_of(key_group_of(key_hash<std::string>{}(key), max_par), max_par, parallelism);
}

// The user function: per key a running sum (value state), the values seen since the last reset
// (list state) and how often each value came (map state). For every record it emits
// (key, running sum) and (key + "#distinct", distinct values so far); a value of 0 resets the key,
// clearing all three states.
struct running_stats {
  value_state<int64_t> sum;
  list_state<int64_t> values;
  map_state<int64_t, uint64_t> counts;

  void open(state_context& ctx) {
    sum = ctx.value<int64_t>("sum");
    values = ctx.list<int64_t>("values");
    counts = ctx.map<int64_t, uint64_t>("counts");
  }
  void process(const kv& r, keyed_context<std::string>& ctx, collector<kv>& out) {
    EXPECT_EQ(ctx.key(), r.first) << "the current key is the record's";
    if (r.second == 0) {
      sum.clear();
      values.clear();
      counts.clear();
      return;
    }
    out.emit({ctx.key(), sum.set_default(0) += r.second});
    values.add(r.second);
    if (auto* c = counts.get(r.second))
      ++*c;
    else
      counts.put(r.second, 1);
    EXPECT_EQ(values.size(), sum_of_counts());
    out.emit({ctx.key() + "#distinct", static_cast<int64_t>(counts.size())});
  }
  size_t sum_of_counts() const {
    size_t n = 0;
    for (const auto& [v, c] : counts.entries()) n += c;
    return n;
  }
};

// The same computation with plain maps: what running_stats must emit for `input`, continuing
// from `sums` and `distinct`.
struct reference {
  std::map<std::string, int64_t> sums;
  std::map<std::string, std::map<int64_t, uint64_t>> distinct;
  kvs run(const kvs& input) {
    kvs out;
    for (const auto& [k, v] : input) {
      if (v == 0) {
        sums.erase(k);
        distinct.erase(k);
        continue;
      }
      out.push_back({k, sums[k] += v});
      ++distinct[k][v];
      out.push_back({k + "#distinct", static_cast<int64_t>(distinct[k].size())});
    }
    return out;
  }
};

// source -> key_by(first).process(F) ["stats", parallelism p] -> sink [parallelism 1]
template <class F>
detail::graph process_graph(F f, uint32_t p) {
  detail::graph g;
  job j(g);
  j.source(generator_source<kv>(0, [](uint64_t) { return kv{}; }))
      .key_by([](const kv& r) { return r.first; })
      .template process<kv>(f)
      .name("stats")
      .uid("stats")
      .parallelism(p)
      .sink(stdout_sink<kv>())
      .parallelism(1);
  return g;
}

struct built {
  detail::graph g;
  physical_plan plan;
  std::unique_ptr<task_chain> chain;
  status opened;
};

// Builds and opens subtask `s` of the "stats" vertex (vertex 1).
template <class F>
std::unique_ptr<built> build(F f, uint32_t s, uint32_t p, recording_emitter* em) {
  auto b = std::make_unique<built>();
  b->g = process_graph(f, p);
  auto plan = make_plan(b->g, "test", {p, max_par});
  EXPECT_TRUE(plan.ok()) << plan.error().message();
  if (!plan.ok()) return b;
  b->plan = plan.value();
  chain_options opts{64};
  opts.state = snapshot_testing::backend_under_test();
  auto c = task_chain::build(b->g, b->plan, 1, s, em, opts);
  EXPECT_TRUE(c.ok()) << c.error().message();
  if (!c.ok()) return b;
  b->chain = std::move(c.value());
  b->opened = b->chain->open();
  return b;
}

void feed(task_chain& chain, const kvs& records) {
  for (size_t i = 0; i < records.size(); i += 100) {
    detail::typed_batch<kv> batch;
    batch.records.assign(
        records.begin() + static_cast<std::ptrdiff_t>(i),
        records.begin() + static_cast<std::ptrdiff_t>(std::min(i + 100, records.size())));
    chain.process(0, batch);
  }
  chain.flush();
}

// `n` records over `keys` keys; about one in eleven has value 0 (a reset).
kvs records(size_t n, uint32_t keys, uint64_t seed) {
  kvs out;
  uint64_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    out.push_back(
        {"k" + std::to_string((x >> 33) % keys), static_cast<int64_t>((x >> 20) % 11) - 3});
  }
  return out;
}

// The records of `input` whose key subtask s of p owns, in order.
kvs routed(const kvs& input, uint32_t s, uint32_t p) {
  kvs out;
  for (const auto& r : input)
    if (owner(r.first, p) == s) out.push_back(r);
  return out;
}

// A chain running the process function emits exactly what the plain-map reference computes, and
// holds state for exactly the keys the reference holds.
TEST_P(state_process, emits_what_a_plain_map_computation_expects) {
  auto input = routed(records(3000, 60, 3), 1, 2);
  recording_emitter em;
  auto b = build(running_stats{}, 1, 2, &em);
  ASSERT_TRUE(b->chain);
  ASSERT_TRUE(b->opened.ok()) << b->opened.message();
  feed(*b->chain, input);
  reference ref;
  EXPECT_EQ(em.got, ref.run(input));
  EXPECT_EQ(b->chain->state_entries(), ref.sums.size()) << "reset keys are released";
}

// Two subtasks snapshot mid-stream; three subtasks restore from those snapshots and continue:
// the output over both halves is what one uninterrupted reference run gives, key by key.
TEST_P(state_process, resumes_from_a_snapshot_at_another_parallelism) {
  auto input = records(6000, 200, 9);
  const kvs first(input.begin(), input.begin() + 3500), second(input.begin() + 3500, input.end());
  reference ref;
  auto expected_first = ref.run(first);
  auto expected_second = ref.run(second);

  std::vector<detail::operator_snapshot> previous;
  kvs got_first;
  for (uint32_t s = 0; s < 2; ++s) {
    recording_emitter em;
    auto b = build(running_stats{}, s, 2, &em);
    ASSERT_TRUE(b->chain && b->opened.ok());
    ASSERT_TRUE(b->chain->restore({{}}).ok()) << "a fresh start";
    feed(*b->chain, routed(first, s, 2));
    auto snaps = b->chain->snapshot();
    ASSERT_EQ(snaps.size(), 1u);
    previous.push_back(decode_snapshots(encode_snapshots(snaps)).value().front());
    got_first.insert(got_first.end(), em.got.begin(), em.got.end());
  }
  // Per key, the order of the output is the input's; across keys it depends on the routing.
  auto by_key = [](kvs v) {
    std::stable_sort(v.begin(), v.end(),
                     [](const kv& a, const kv& b) { return a.first < b.first; });
    return v;
  };
  EXPECT_EQ(by_key(got_first), by_key(expected_first));

  kvs got_second;
  for (uint32_t s = 0; s < 3; ++s) {
    recording_emitter em;
    auto b = build(running_stats{}, s, 3, &em);
    ASSERT_TRUE(b->chain && b->opened.ok());
    auto st = b->chain->restore({previous});
    ASSERT_TRUE(st.ok()) << st.message();
    feed(*b->chain, routed(second, s, 3));
    got_second.insert(got_second.end(), em.got.begin(), em.got.end());
  }
  EXPECT_EQ(by_key(got_second), by_key(expected_second));
}

// A stateless lambda works as a process function too.
TEST_P(state_process, a_lambda_is_a_stateless_process_function) {
  auto twice = [](const kv& r, keyed_context<std::string>& ctx, collector<kv>& out) {
    out.emit({ctx.key(), r.second});
    out.emit({ctx.key(), -r.second});
  };
  std::vector<std::string> keys;  // two keys of subtask 0 of 2 (at parallelism 1 the sink chains)
  for (int i = 0; keys.size() < 2; ++i)
    if (owner("k" + std::to_string(i), 2) == 0) keys.push_back("k" + std::to_string(i));
  recording_emitter em;
  auto b = build(twice, 0, 2, &em);
  ASSERT_TRUE(b->chain && b->opened.ok());
  feed(*b->chain, {{keys[0], 1}, {keys[1], 2}});
  EXPECT_EQ(em.got, (kvs{{keys[0], 1}, {keys[0], -1}, {keys[1], 2}, {keys[1], -2}}));
  EXPECT_EQ(b->chain->state_entries(), 0u);
}

// A function that declares one name twice with different types fails open() with a status.
struct conflicting {
  void open(state_context& ctx) {
    ctx.value<int64_t>("x");
    ctx.list<int64_t>("x");
  }
  void process(const kv&, keyed_context<std::string>&, collector<kv>&) {}
};

TEST_P(state_process, conflicting_declarations_fail_open) {
  recording_emitter em;
  auto b = build(conflicting{}, 0, 1, &em);
  ASSERT_TRUE(b->chain);
  EXPECT_FALSE(b->opened.ok());
  EXPECT_NE(b->opened.message().find("'x'"), std::string::npos) << b->opened.message();
}

// A snapshot whose state the function no longer declares is refused, not dropped.
TEST_P(state_process, undeclared_state_in_a_snapshot_is_refused) {
  recording_emitter em;
  auto before = build(running_stats{}, 0, 1, &em);
  ASSERT_TRUE(before->chain && before->opened.ok());
  feed(*before->chain, {{"a", 1}});
  auto snaps = before->chain->snapshot();
  auto fresh = [](const kv&, keyed_context<std::string>&, collector<kv>&) {};
  auto after = build(fresh, 0, 1, &em);
  ASSERT_TRUE(after->chain && after->opened.ok());
  EXPECT_FALSE(after->chain->restore({snaps}).ok());
}

}  // namespace
}  // namespace nagare
