// Keyed state snapshots: written per key group, restored at the same and at
// another parallelism, malformed state refused.
#include "state_support.hpp"

#include "process.hpp"

namespace nagare {
namespace {

using namespace snapshot_testing;

// Every case runs on both state backends (leveldb with a cache of a few keys).
using snapshot_keyed = state_testing::on_both_backends;
INSTANTIATE_BACKENDS(snapshot_keyed);

// Reduce state survives snapshot, encoding, decoding and restore: the restored operator continues
// with exactly the running sums that an uninterrupted run (a std::map) gives.
TEST_P(snapshot_keyed, reduce_restored_continues_like_an_uninterrupted_run) {
  auto input = records(1000, 37);
  std::map<std::string, int64_t> sums;
  std::vector<kv> expected;
  for (const auto& r : input) expected.push_back({r.first, sums[r.first] += r.second});

  auto before = make_reducer();
  before->push({input.begin(), input.begin() + 600});
  ASSERT_EQ(before->out.got, std::vector<kv>(expected.begin(), expected.begin() + 600));

  auto after = make_reducer();
  auto st = after->restore({through_bytes(before->snapshot())});
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(after->op->state_entries(), before->op->state_entries());
  after->push({input.begin() + 600, input.end()});
  EXPECT_EQ(after->out.got, std::vector<kv>(expected.begin() + 600, expected.end()));
}

// Aggregate state survives the same round trip: after the rest of the input, finish() emits the
// totals of the whole input, once per key.
TEST_P(snapshot_keyed, aggregate_restored_finishes_with_whole_input_totals) {
  auto input = records(2000, 101, 7);
  std::map<std::string, int64_t> totals;
  for (const auto& r : input) totals[r.first] += r.second;

  auto before = make_aggregator();
  before->push({input.begin(), input.begin() + 1234});
  auto after = make_aggregator();
  auto st = after->restore({through_bytes(before->snapshot())});
  ASSERT_TRUE(st.ok()) << st.message();
  after->push({input.begin() + 1234, input.end()});
  after->op->finish();
  std::map<std::string, int64_t> got;
  for (const auto& [k, v] : after->out.got) EXPECT_TRUE(got.emplace(k, v).second) << k << " twice";
  EXPECT_EQ(got, totals);
}

// Keyed state is written per key group: every key sits in the string of its own key group, and
// only key groups with keys appear.
TEST_P(snapshot_keyed, keyed_state_is_written_per_key_group) {
  auto input = records(300, 50, 3);
  auto agg = make_aggregator();
  agg->push(input);
  auto snap = agg->snapshot();
  std::set<uint32_t> groups;
  for (const auto& r : input)
    groups.insert(key_group_of(key_hash<std::string>{}(r.first), max_par));
  std::set<uint32_t> written;
  for (const auto& [kg, bytes] : snap.key_groups) {
    written.insert(kg);
    EXPECT_FALSE(bytes.empty());
  }
  EXPECT_EQ(written, groups);
  EXPECT_TRUE(snap.entries.empty());
}

// Aggregate state of 3 subtasks restored into 2 and into 5: every key ends up exactly once, in
// the subtask that owns its key group at the new parallelism, with its accumulated value.
TEST_P(snapshot_keyed, aggregate_state_rescales_from_3_to_2_and_5) {
  auto input = records(5000, 400, 11);
  std::map<std::string, int64_t> totals;
  for (const auto& r : input) totals[r.first] += r.second;

  std::vector<std::unique_ptr<aggregator>> old;
  for (uint32_t s = 0; s < 3; ++s) old.push_back(make_aggregator(s, 3));
  for (const auto& r : input) old[owner(r.first, 3)]->push({r});  // as the keyed exchange routes
  snapshots previous;
  for (const auto& a : old) previous.push_back(a->snapshot());

  for (uint32_t q : {2u, 5u}) {
    std::map<std::string, int64_t> got;
    for (uint32_t s = 0; s < q; ++s) {
      auto a = make_aggregator(s, q);
      auto st = a->restore(previous);
      ASSERT_TRUE(st.ok()) << st.message();
      a->op->finish();
      for (const auto& [k, v] : a->out.got) {
        EXPECT_EQ(owner(k, q), s) << k << " restored into the wrong subtask of " << q;
        EXPECT_TRUE(got.emplace(k, v).second) << k << " restored twice at parallelism " << q;
      }
    }
    EXPECT_EQ(got, totals) << "parallelism " << q;
  }
}

// Malformed or mismatched keyed state is an error status, never a crash or a silent partial
// restore: each case names one way the bytes can be wrong.
TEST_P(snapshot_keyed, keyed_restore_rejects_malformed_state) {
  // A valid key group: "a" -> 5, and the group of "a" and a key group owned by the same subtask
  // (parallelism 1 owns all) that is not the group of "a".
  const std::string key = "a";
  const uint32_t kg = key_group_of(key_hash<std::string>{}(key), max_par);
  const uint32_t other = (kg + 1) % max_par;
  const std::vector<std::pair<std::string, uint8_t>> states = {{"aggregate", value_kind}};
  std::string entry = encode(key) + "\x01" + encode(int64_t{5});
  std::string one = key_group_bytes(states, 1, entry);
  ASSERT_TRUE(make_aggregator()->restore({{{{kg, one}}, {}}}).ok()) << "the valid case";

  struct bad {
    const char* what;
    snapshots previous;
  };
  std::vector<bad> cases = {
      {"empty key group", {{{{kg, ""}}, {}}}},
      {"no entry count",
       {{{{kg, key_group_bytes(states, 0, "").substr(0, one.size() - entry.size() - 1)}}, {}}}},
      {"unknown format version", {{{{kg, "\x03" + one.substr(1)}}, {}}}},
      {"count larger than the entries", {{{{kg, key_group_bytes(states, 2, entry)}}, {}}}},
      {"entry cut short", {{{{kg, one.substr(0, one.size() - 1)}}, {}}}},
      {"bytes after the last entry", {{{{kg, one + "x"}}, {}}}},
      {"key stored under another key group", {{{{other, one}}, {}}}},
      {"the same key twice", {{{{kg, key_group_bytes(states, 2, entry + entry)}}, {}}}},
      {"a state the operator does not declare",
       {{{{kg, key_group_bytes({{"other", value_kind}}, 1, entry)}}, {}}}},
      {"the state as another kind",
       {{{{kg, key_group_bytes({{"aggregate", list_kind}}, 1, entry)}}, {}}}},
      {"presence flag neither 0 nor 1",
       {{{{kg, key_group_bytes(states, 1, encode(key) + "\x02" + encode(int64_t{5}))}}, {}}}},
      {"a key without any state",
       {{{{kg, key_group_bytes(states, 1, encode(key) + std::string(1, '\0'))}}, {}}}},
      {"key group beyond the max parallelism", {{{{max_par, one}}, {}}}},
      {"operator state entries in a keyed operator", {{{}, {"x"}}}},
      {"the same key group in two snapshots", {{{{kg, one}}, {}}, {{{kg, one}}, {}}}},
  };
  for (const auto& c : cases) {
    auto st = make_aggregator()->restore(c.previous);
    EXPECT_FALSE(st.ok()) << c.what;
    EXPECT_FALSE(st.message().empty()) << c.what;
  }
}

// An operator without state refuses a non-empty snapshot instead of dropping it.
TEST_P(snapshot_keyed, stateless_operator_refuses_state) {
  detail::map_operator<int, int, int (*)(int)> map([](int x) { return x; });
  detail::operator_snapshot none;
  map.snapshot(none);
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(map.restore({{}, {}}, where(0, 1)).ok());
  EXPECT_FALSE(map.restore({{{}, {"x"}}}, where(0, 1)).ok());
}

}  // namespace
}  // namespace nagare
