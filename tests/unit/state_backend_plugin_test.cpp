// A third state backend plugs in without touching the operators: a test
// backend that wraps the memory one and counts the calls it gets serves an
// existing keyed operator (the rolling sum of key_by().reduce()) in a task
// chain, through state_backend_options::factory. The results are the ones a
// plain map computes, and the calls show that the operator went through it
// (timer index, snapshot, checkpoints) and that an unbounded backend is never
// asked per key.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/detail/keyed_backend.hpp"
#include "nagare/job.hpp"
#include "plan.hpp"
#include "record_collector.hpp"
#include "task_chain.hpp"

namespace nagare {
namespace {

using kv = std::pair<std::string, int64_t>;

struct call_counts {
  int made = 0, snapshots = 0, prepares = 0, completes = 0, per_key = 0, finishes = 0;
};

// The memory backend, counting what it is asked.
class counting_backend final : public detail::keyed_backend {
 public:
  explicit counting_backend(call_counts& n) : n_(n), inner_(detail::make_memory_backend()) {}
  bool bounded() const override { return inner_->bounded(); }
  uint32_t capacity() const override { return inner_->capacity(); }
  owned<detail::timer_index> make_timer_index() override { return inner_->make_timer_index(); }
  uint64_t keys(const detail::row_cache& c) const override { return inner_->keys(c); }
  void touch(uint32_t row) override {
    ++n_.per_key;
    inner_->touch(row);
  }
  bool load(uint32_t kg, std::string_view key, std::string& row) override {
    ++n_.per_key;
    return inner_->load(kg, key, row);
  }
  void cached(uint32_t row, size_t key_bytes, const std::string* stored) override {
    ++n_.per_key;
    inner_->cached(row, key_bytes, stored);
  }
  void released(uint32_t kg, std::string_view key, uint32_t row) override {
    ++n_.per_key;
    inner_->released(kg, key, row);
  }
  void make_room(detail::row_cache& c) override {
    ++n_.per_key;
    inner_->make_room(c);
  }
  void for_each_stored(detail::row_cache& c, detail::stored_key_visitor& v) override {
    inner_->for_each_stored(c, v);
  }
  void prepare_checkpoint(uint64_t id) override {
    ++n_.prepares;
    inner_->prepare_checkpoint(id);
  }
  void checkpoint_complete(uint64_t id) override {
    ++n_.completes;
    inner_->checkpoint_complete(id);
  }
  void write_snapshot(detail::row_cache& c, detail::operator_snapshot& out) override {
    ++n_.snapshots;
    inner_->write_snapshot(c, out);
  }
  void write_key_groups(detail::row_cache& c, detail::key_group_writer& out) override {
    inner_->write_key_groups(c, out);
  }
  void restore_row(uint32_t kg, std::string_view key, const std::string* row) override {
    inner_->restore_row(kg, key, row);
  }
  void finish_restore() override {
    ++n_.finishes;
    inner_->finish_restore();
  }
  void restored_own(uint64_t c, uint64_t b, uint32_t l) override { inner_->restored_own(c, b, l); }

 private:
  call_counts& n_;
  owned<detail::keyed_backend> inner_;
};

class counting_factory final : public detail::keyed_backend_factory {
 public:
  result<owned<detail::keyed_backend>> make(key_group_range, uint32_t) const override {
    ++n.made;
    return owned<detail::keyed_backend>(make_owned<counting_backend>(n));
  }
  mutable call_counts n;
};

using recording_emitter = test::record_collector<kv>;

// source -> key_by(first).reduce(sum) ["sum", parallelism 1] -> sink [parallelism 2].
TEST(state_backend_plugin, a_counting_backend_serves_an_unchanged_keyed_operator) {
  detail::graph g;
  job j(g);
  j.source(generator_source<kv>(0, [](uint64_t) { return kv{}; }))
      .key_by([](const kv& r) { return r.first; })
      .reduce([](kv a, const kv& b) {
        return kv{a.first, a.second + b.second};
      })
      .name("sum")
      .uid("sum")
      .sink(stdout_sink<kv>())
      .parallelism(2);  // not chained: the sum's output reaches the emitter
  auto plan = make_plan(g, "test", {1, 128});
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  counting_factory factory;
  chain_options opts{64};
  opts.state.factory = &factory;
  recording_emitter em;
  auto chain = task_chain::build(g, plan.value(), 1, 0, &em, opts);
  ASSERT_TRUE(chain.ok()) << chain.error().message();
  auto& c = *chain.value();
  ASSERT_TRUE(c.open().ok());

  std::vector<kv> input;
  std::map<std::string, int64_t> sums;
  std::vector<kv> expected;
  for (int i = 0; i < 500; ++i) {
    input.push_back({"k" + std::to_string(i % 7), i});
    expected.push_back({input.back().first, sums[input.back().first] += i});
  }
  detail::typed_batch<kv> batch;
  batch.records = input;
  c.process(0, batch);
  c.flush();
  // Two output channels (round robin): compare as sets of results.
  std::sort(em.got.begin(), em.got.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(em.got, expected);
  EXPECT_EQ(c.state_entries(), sums.size());
  EXPECT_EQ(factory.n.made, 1) << "the operator's backend came from the factory";
  EXPECT_EQ(factory.n.per_key, 0) << "an unbounded backend is never asked per key";

  ASSERT_TRUE(c.prepare_checkpoint(1).ok());
  auto snaps = c.snapshot();
  ASSERT_TRUE(c.checkpoint_complete(1).ok());
  EXPECT_EQ(factory.n.prepares, 1);
  EXPECT_EQ(factory.n.snapshots, 1);
  EXPECT_EQ(factory.n.completes, 1);
  size_t key_groups = 0;
  for (const auto& s : snaps) key_groups += s.key_groups.size();
  EXPECT_GT(key_groups, 0u) << "the snapshot holds the keys through the backend";
}

}  // namespace
}  // namespace nagare
