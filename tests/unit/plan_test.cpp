// The planner: chaining, partitioning and the channel layout of every task.
#include <gtest/gtest.h>

#include "nagare/job.hpp"
#include "plan.hpp"
#include "plan_generated.h"

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

// A plan decodes to the same vertices, max parallelism and fingerprint.
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

bool mentions(const status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

generator_source<std::string> numbers() {
  return generator_source<std::string>(10, [](uint64_t i) { return std::to_string(i); });
}

// A graph without a source is rejected.
TEST(plan, rejects_graph_without_source) {
  detail::graph g;
  g.add("sink", "lonely sink");
  auto p = make_plan(g, "j", {1, 128});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(p.error(), "no source")) << p.error().message();
}

// An empty graph is rejected.
TEST(plan, rejects_empty_graph) {
  auto p = make_plan(detail::graph{}, "j", {1, 128});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), errc::invalid_argument);
}

// An operator whose output nobody reads is rejected, naming the operator.
TEST(plan, rejects_unconsumed_output_naming_the_operator) {
  detail::graph g;
  job j(g);
  j.source(numbers()).map([](std::string s) { return s + "!"; }).name("shout");
  auto p = make_plan(g, "j", {1, 128});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(p.error(), "'shout'")) << p.error().message();
}

// A source read by nobody is rejected, naming the source.
TEST(plan, rejects_unconsumed_source_naming_it) {
  detail::graph g;
  job j(g);
  j.source(numbers()).name("idle input");
  auto p = make_plan(g, "j", {1, 128});
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(mentions(p.error(), "'idle input'")) << p.error().message();
}

// An operator parallelism above the max parallelism is rejected, naming the operator and both
// numbers.
TEST(plan, rejects_operator_parallelism_above_max) {
  detail::graph g;
  job j(g);
  j.source(numbers())
      .map([](std::string s) { return s; })
      .name("too wide")
      .parallelism(200)
      .sink(stdout_sink<std::string>());
  auto p = make_plan(g, "j", {2, 128});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(p.error(), "'too wide'")) << p.error().message();
  EXPECT_TRUE(mentions(p.error(), "200")) << p.error().message();
  EXPECT_TRUE(mentions(p.error(), "128")) << p.error().message();
}

// A default parallelism above the max parallelism is rejected, naming the max.
TEST(plan, rejects_default_parallelism_above_max) {
  auto p = make_plan(wordcount_graph(), "wc", {65, 64});
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(mentions(p.error(), "64")) << p.error().message();
  EXPECT_FALSE(make_plan(wordcount_graph(), "wc", {0, 64}).ok());
  EXPECT_FALSE(make_plan(wordcount_graph(), "wc", {1, 0}).ok());
}

// A one-to-one edge between operators of different parallelism is not chained and becomes
// round-robin.
TEST(plan, forward_edge_with_parallelism_change_becomes_rebalance) {
  detail::graph g;
  job j(g);
  j.source(numbers())
      .map([](std::string s) { return s; })
      .name("wide")
      .parallelism(3)
      .sink(stdout_sink<std::string>())
      .parallelism(3);
  auto p = make_plan(g, "j", {2, 128});
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->vertices.size(), 2u);
  EXPECT_EQ(p->vertices[0].nodes, (std::vector<uint32_t>{0}));
  EXPECT_EQ(p->vertices[0].parallelism, 2u);
  EXPECT_EQ(p->vertices[1].nodes, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(p->vertices[1].parallelism, 3u);
  ASSERT_EQ(p->exchanges.size(), 1u);
  EXPECT_EQ(p->exchanges[0].kind, detail::partition::rebalance);
  // Every source subtask has a channel to each of the 3 map subtasks; each map subtask one from
  // each source.
  EXPECT_EQ(p->output_channels(0, 1).size(), 3u);
  EXPECT_EQ(p->input_channels(1, 2).size(), 2u);
}

// Equal parallelism keeps a one-to-one edge forward and chained.
TEST(plan, forward_edge_with_equal_parallelism_is_chained) {
  detail::graph g;
  job j(g);
  j.source(numbers())
      .filter([](const std::string& s) { return !s.empty(); })
      .sink(stdout_sink<std::string>());
  auto p = make_plan(g, "j", {4, 128});
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->vertices.size(), 1u);
  EXPECT_EQ(p->vertices[0].nodes, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_TRUE(p->exchanges.empty());
  EXPECT_EQ(p->vertices[0].name, "generator source -> filter -> stdout sink");
}

// A stream read by two sinks is not chained: the producer gets one output exchange per consumer.
TEST(plan, fan_out_is_not_chained) {
  detail::graph g;
  job j(g);
  auto s = j.source(numbers());
  s.sink(stdout_sink<std::string>()).name("first");
  s.sink(stdout_sink<std::string>()).name("second");
  auto p = make_plan(g, "j", {2, 128});
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->vertices.size(), 3u);
  EXPECT_EQ(p->vertices[0].nodes, (std::vector<uint32_t>{0}));
  auto outs = p->outputs_of(0);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].kind, detail::partition::forward);
  EXPECT_EQ(outs[1].kind, detail::partition::forward);
  EXPECT_NE(outs[0].target, outs[1].target);
  EXPECT_EQ(p->vertices[outs[0].target].name, "first");
  EXPECT_EQ(p->vertices[outs[1].target].name, "second");
  // One forward channel per consumer, each reaching the same subtask.
  auto chans = p->output_channels(0, 1);
  ASSERT_EQ(chans.size(), 2u);
  EXPECT_EQ(chans[0].subtask, 1u);
  EXPECT_EQ(chans[1].subtask, 1u);
  EXPECT_EQ(p->output_offsets(0), (std::vector<uint32_t>{0, 1}));
}

// The same graph and options always give the same fingerprint.
TEST(plan, fingerprint_is_deterministic) {
  auto a = make_plan(wordcount_graph(), "wc", {3, 128});
  auto b = make_plan(wordcount_graph(), "wc", {3, 128});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->fingerprint, b->fingerprint);
}

// A different default parallelism changes the fingerprint.
TEST(plan, fingerprint_differs_with_parallelism) {
  auto a = make_plan(wordcount_graph(), "wc", {2, 128});
  auto b = make_plan(wordcount_graph(), "wc", {4, 128});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->fingerprint, b->fingerprint);
}

// One operator's own parallelism changes the fingerprint.
TEST(plan, fingerprint_differs_with_operator_parallelism) {
  auto build = [](uint32_t sink_parallelism) {
    detail::graph g;
    job j(g);
    j.source(numbers()).sink(stdout_sink<std::string>()).parallelism(sink_parallelism);
    return make_plan(g, "j", {2, 128});
  };
  auto a = build(2);
  auto b = build(1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->fingerprint, b->fingerprint);
}

// A plan whose bytes are damaged is rejected, not read out of bounds.
TEST(plan, damaged_encoding_is_rejected) {
  auto p = make_plan(wordcount_graph(), "wc", {2, 64});
  ASSERT_TRUE(p.ok());
  auto bytes = encode_plan(p.value());
  EXPECT_FALSE(decode_plan(bytes.substr(0, bytes.size() / 2)).ok());
  EXPECT_FALSE(decode_plan(std::string()).ok());
}

// A plan's bytes built by hand, for plans make_plan would never produce.
struct raw_vertex {
  std::vector<uint32_t> nodes;
  uint32_t parallelism;
};
struct raw_exchange {
  uint32_t source, target, gate;
};
std::string raw_plan(uint32_t max_parallelism, const std::vector<raw_vertex>& vertices,
                     int8_t partition, const std::vector<raw_exchange>& exchanges = {{0, 1, 0}}) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Vertex>> vs;
  for (uint32_t i = 0; i < vertices.size(); ++i)
    vs.push_back(fb::CreateVertex(b, i, b.CreateString("v" + std::to_string(i)),
                                  b.CreateVector(vertices[i].nodes), vertices[i].parallelism,
                                  i == 0));
  std::vector<flatbuffers::Offset<fb::Exchange>> es;
  for (const auto& e : exchanges)
    es.push_back(
        fb::CreateExchange(b, e.source, e.target, static_cast<fb::Partition>(partition), e.gate));
  b.Finish(fb::CreateJobPlan(b, b.CreateString("raw"), max_parallelism, b.CreateVector(vs),
                             b.CreateVector(es), 1));
  return {reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()};
}

// The hand-built plan helper itself produces a plan decode_plan accepts.
TEST(plan, raw_plan_helper_is_valid) {
  auto q = decode_plan(raw_plan(128, {{{0}, 2}, {{1}, 2}}, 2));
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_EQ(q->exchanges[0].kind, detail::partition::keyed);
}

// Regression: the coordinator decodes plans straight from a client's
// submission; plans make_plan could never produce (unknown partition kind, a
// vertex without operators, max parallelism 0, parallelism above the max) are
// "malformed job plan", not undefined behaviour further down.
TEST(plan, decode_rejects_impossible_plans) {
  EXPECT_FALSE(decode_plan(raw_plan(128, {{{0}, 2}, {{1}, 2}}, 9)).ok()) << "unknown partition";
  EXPECT_FALSE(decode_plan(raw_plan(128, {{{0}, 2}, {{}, 2}}, 2)).ok())
      << "vertex without operators";
  EXPECT_FALSE(decode_plan(raw_plan(0, {{{0}, 1}, {{1}, 1}}, 2)).ok()) << "max parallelism 0";
  EXPECT_FALSE(decode_plan(raw_plan(4, {{{0}, 2}, {{1}, 8}}, 2)).ok()) << "parallelism above max";
}

// Regression (plan fuzz target): gates that are not 0, 1, ... once each, or an
// exchange back to an earlier vertex, gave a channel layout whose senders and
// receivers disagreed on channel numbers; such plans are malformed.
TEST(plan, decode_rejects_inconsistent_exchanges) {
  const std::vector<raw_vertex> three{{{0}, 2}, {{1}, 2}, {{2}, 2}};
  EXPECT_TRUE(decode_plan(raw_plan(128, three, 1, {{0, 2, 0}, {1, 2, 1}})).ok()) << "two gates";
  EXPECT_FALSE(decode_plan(raw_plan(128, three, 1, {{0, 2, 0}, {1, 2, 0}})).ok()) << "gate twice";
  EXPECT_FALSE(decode_plan(raw_plan(128, three, 1, {{0, 2, 1}})).ok()) << "no gate 0";
  EXPECT_FALSE(decode_plan(raw_plan(128, three, 1, {{0, 1, 0}, {2, 1, 1}})).ok())
      << "exchange to an earlier vertex";
  EXPECT_FALSE(decode_plan(raw_plan(128, three, 1, {{1, 1, 0}})).ok()) << "exchange to itself";
}

}  // namespace
}  // namespace nagare
