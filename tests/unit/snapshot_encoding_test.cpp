// The chain-level snapshot encoding (checksummed FlatBuffers) and snapshots
// of whole task chains.
#include "record_collector.hpp"
#include "snapshot_support.hpp"

#include "process.hpp"
#include "sealed_buffer.hpp"
#include "snapshot_generated.h"

namespace nagare {
namespace {

using namespace snapshot_testing;

snapshots sample() {
  detail::operator_snapshot keyed;
  keyed.key_groups[3] = "abc";
  keyed.key_groups[77] = std::string("\0\1\2", 3);
  detail::operator_snapshot entries;
  entries.entries = {"one", "", std::string(1000, 'z')};
  return {keyed, {}, entries};
}

// Snapshots come back from their encoding unchanged, empty ones and empty lists included.
TEST(snapshot_encoding, round_trips) {
  for (const auto& s : {sample(), snapshots{}, snapshots(1)}) {
    auto d = decode_snapshots(encode_snapshots(s));
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(d.value(), s);
  }
}

// Every flipped byte, every truncation and an appended byte are detected as damage.
TEST(snapshot_encoding, detects_every_damaged_byte) {
  const auto bytes = encode_snapshots(sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    auto d = decode_snapshots(damaged);
    ASSERT_FALSE(d.ok()) << "flipped byte " << i << " of " << bytes.size();
    EXPECT_EQ(d.error().code(), errc::io_error);
  }
  for (size_t n = 0; n < bytes.size(); ++n)
    ASSERT_FALSE(decode_snapshots(bytes.substr(0, n)).ok()) << "cut to " << n << " bytes";
  EXPECT_FALSE(decode_snapshots(bytes + '\0').ok());
  EXPECT_FALSE(decode_snapshots("not a snapshot at all, just some text").ok());
}

// A delta's extends and the checkpoint a snapshot was taken at survive the
// encoding; the rvalue encoding gives the same bytes and frees its input.
TEST(snapshot_encoding, keeps_extends_and_checkpoint) {
  auto s = sample();
  s[0].checkpoint = 12;
  s[0].extends = 9;
  s[2].checkpoint = 12;
  auto bytes = encode_snapshots(s);
  auto copy = s;
  EXPECT_EQ(encode_snapshots(std::move(copy)), bytes);
  EXPECT_TRUE(copy.empty());
  auto d = decode_snapshots(bytes);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d.value(), s);
}

// A filtered decode copies only the kept operators' state, and of their keyed
// state only the key groups in range; every operator keeps its extends.
TEST(snapshot_encoding, filter_keeps_operators_and_key_groups) {
  auto s = sample();
  s[0].key_groups[100] = "x";
  s[1].extends = 4;
  snapshot_filter keep;
  keep.operators = {true, false, false};
  keep.first_key_group = 50;
  keep.end_key_group = 101;
  auto d = decode_snapshots(encode_snapshots(s), keep);
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0].key_groups,
            (std::map<uint32_t, std::string>{{77, s[0].key_groups[77]}, {100, "x"}}));
  EXPECT_TRUE((*d)[1].empty());
  EXPECT_EQ((*d)[1].extends, 4u);
  EXPECT_TRUE((*d)[2].empty());
}

// A snapshot as versions 1 and 2 stored it: one sealed ChainSnapshot, no frames.
std::string legacy_buffer(const snapshots& snaps, uint32_t version) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::OperatorState>> ops;
  for (const auto& s : snaps) {
    std::vector<flatbuffers::Offset<fb::KeyGroupState>> groups;
    for (const auto& [kg, data] : s.key_groups)
      groups.push_back(fb::CreateKeyGroupState(
          b, kg, b.CreateVector(reinterpret_cast<const uint8_t*>(data.data()), data.size())));
    std::vector<flatbuffers::Offset<fb::StateEntry>> entries;
    for (const auto& e : s.entries)
      entries.push_back(fb::CreateStateEntry(
          b, b.CreateVector(reinterpret_cast<const uint8_t*>(e.data()), e.size())));
    ops.push_back(fb::CreateOperatorState(b, b.CreateVector(groups), b.CreateVector(entries),
                                          version >= 2 ? s.extends : 0,
                                          version >= 2 ? s.checkpoint : 0));
  }
  b.Finish(fb::CreateChainSnapshot(b, b.CreateVector(ops)));
  const seal_magic magic = {'N', 'G', 'S', 'N'};
  return seal(magic, version, b.GetBufferPointer(), b.GetSize());
}

// Snapshots of versions 1 and 2 (one buffer, no frames) are still read;
// version 1 ones as complete snapshots.
TEST(snapshot_encoding, reads_format_versions_1_and_2) {
  auto s = sample();
  s[0].extends = 3;
  s[0].checkpoint = 5;
  auto d = decode_snapshots(legacy_buffer(s, 2));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d.value(), s);
  d = decode_snapshots(legacy_buffer(s, 1));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d.value(), sample());
  auto damaged = legacy_buffer(s, 2);
  damaged.back() ^= 1;
  EXPECT_FALSE(decode_snapshots(damaged).ok());
  auto future = encode_snapshots(sample());
  future[4] = 9;  // the version, little-endian
  auto f = decode_snapshots(future);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("version 9 is not supported"), std::string::npos)
      << f.error().message();
}

// --- task chains ----------------------------------------------------------------

// source(words) -> key_by(word).aggregate(count) ["count", parallelism `p`] -> sink [parallelism 1]
detail::graph count_graph(uint32_t p) {
  detail::graph g;
  job j(g);
  j.source(generator_source<std::string>(0, [](uint64_t i) { return "w" + std::to_string(i); }))
      .key_by([](const std::string& w) { return w; })
      .aggregate(count())
      .name("count")
      .parallelism(p)
      .sink(stdout_sink<std::pair<std::string, uint64_t>>())
      .parallelism(1);
  return g;
}

using recording_emitter = test::record_collector<std::pair<std::string, uint64_t>>;

std::unique_ptr<task_chain> chain_of(const detail::graph& g, uint32_t vertex, uint32_t subtask,
                                     detail::batch_emitter* em) {
  auto plan = make_plan(g, "test", {2, max_par});
  EXPECT_TRUE(plan.ok());
  if (!plan.ok()) return nullptr;
  auto c = task_chain::build(g, plan.value(), vertex, subtask, em, {});
  EXPECT_TRUE(c.ok()) << c.error().message();
  if (!c.ok()) return nullptr;
  auto st = c.value()->open();
  EXPECT_TRUE(st.ok()) << st.message();
  return std::move(c.value());
}

// A chain snapshots one state per operator of its vertex (not its writers), and a chain of
// another parallelism restored from all of them counts on from there.
TEST(snapshot_chain, restores_a_rescaled_chain) {
  strings words;
  for (int i = 0; i < 500; ++i) words.push_back("w" + std::to_string(i * i % 97));
  std::map<std::string, uint64_t> expected;
  for (const auto& w : words) expected[w] += 2;  // every word is sent twice: before and after

  auto g3 = count_graph(3);
  recording_emitter unused;
  std::vector<std::vector<detail::operator_snapshot>> per_operator(1);
  for (uint32_t s = 0; s < 3; ++s) {
    auto c = chain_of(g3, 1, s, &unused);
    ASSERT_TRUE(c);
    ASSERT_EQ(c->nodes(), std::vector<uint32_t>{1});
    detail::typed_batch<std::string> b;
    for (const auto& w : words)
      if (owner(w, 3) == s) b.records.push_back(w);
    c->process(0, b);
    auto snaps = c->snapshot();
    ASSERT_EQ(snaps.size(), 1u);
    auto d = decode_snapshots(encode_snapshots(snaps));
    ASSERT_TRUE(d.ok());
    per_operator[0].push_back(d->front());
  }
  EXPECT_TRUE(unused.got.empty());

  auto g2 = count_graph(2);
  std::map<std::string, uint64_t> got;
  for (uint32_t s = 0; s < 2; ++s) {
    recording_emitter em;
    auto c = chain_of(g2, 1, s, &em);
    ASSERT_TRUE(c);
    auto st = c->restore(per_operator);
    ASSERT_TRUE(st.ok()) << st.message();
    detail::typed_batch<std::string> b;
    for (const auto& w : words)
      if (owner(w, 2) == s) b.records.push_back(w);
    c->process(0, b);
    c->finish();
    for (const auto& [w, n] : em.got) EXPECT_TRUE(got.emplace(w, n).second) << w;
  }
  EXPECT_EQ(got, expected);
}

// A chain refuses a snapshot with another number of operators, and an operator refuses state it
// cannot hold; the message names the task and the operator.
TEST(snapshot_chain, refuses_mismatched_snapshots) {
  auto g = count_graph(3);
  recording_emitter em;
  auto c = chain_of(g, 1, 0, &em);
  ASSERT_TRUE(c);
  auto st = c->restore({{}, {}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("count (1/3)"), std::string::npos) << st.message();

  auto sink = chain_of(g, 2, 0, &em);
  ASSERT_TRUE(sink);
  st = sink->restore({{{{}, {"position"}}}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("stdout"), std::string::npos) << st.message();
  EXPECT_TRUE(sink->restore({{}}).ok()) << "no earlier state";
}

}  // namespace
}  // namespace nagare
