// The planner: chaining, partitioning and the channel layout of every task.
#include <gtest/gtest.h>

#include "nagare/job.hpp"
#include "plan.hpp"

namespace nagare {
namespace {

using pair_t = std::pair<std::string, uint64_t>;

// source -> flat_map -> key_by/aggregate -> sink
detail::graph wordcount_graph() {
  detail::graph g;
  job j(g);
  j.source(generator_source<std::string>(10, [](uint64_t i) { return std::to_string(i); }))
      .flat_map<std::string>([](const std::string& s, collector<std::string>& out) { out.emit(s); })
      .key_by([](const std::string& s) { return s; })
      .aggregate(count())
      .sink(stdout_sink<pair_t>());
  return g;
}

// One-to-one operators with equal parallelism share a task; a keyed exchange
// starts a new one.
TEST(plan, chains_forward_operators_and_breaks_at_key_by) {
  auto p = make_plan(wordcount_graph(), "wc", {4, 128});
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->vertices.size(), 2u);
  EXPECT_EQ(p->vertices[0].nodes, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(p->vertices[1].nodes, (std::vector<uint32_t>{2, 3}));
  ASSERT_EQ(p->exchanges.size(), 1u);
  EXPECT_EQ(p->exchanges[0].kind, detail::partition::keyed);
  EXPECT_EQ(p->task_count(), 8u);
}

// Every output channel of a sender names the receiver channel that names it back.
TEST(plan, channel_layout_is_symmetric) {
  auto p = make_plan(wordcount_graph(), "wc", {3, 128});
  ASSERT_TRUE(p.ok());
  for (uint32_t s = 0; s < 3; ++s) {
    auto outs = p->output_channels(0, s);
    ASSERT_EQ(outs.size(), 3u);
    for (uint32_t c = 0; c < outs.size(); ++c) {
      auto ins = p->input_channels(outs[c].vertex, outs[c].subtask);
      ASSERT_LT(outs[c].channel, ins.size());
      EXPECT_EQ(ins[outs[c].channel].subtask, s);
      EXPECT_EQ(ins[outs[c].channel].channel, c);
    }
  }
}

TEST(plan, survives_encoding) {
  auto p = make_plan(wordcount_graph(), "wc", {2, 64});
  ASSERT_TRUE(p.ok());
  auto q = decode_plan(encode_plan(p.value()));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->fingerprint, p->fingerprint);
  EXPECT_EQ(q->max_parallelism, 64u);
  ASSERT_EQ(q->vertices.size(), p->vertices.size());
  EXPECT_EQ(q->vertices[1].name, p->vertices[1].name);
}

}  // namespace
}  // namespace nagare
