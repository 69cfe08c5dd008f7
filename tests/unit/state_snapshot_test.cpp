// State snapshots: keyed state (all declared states of an operator in one
// string per key group) and operator list state survive snapshot and restore,
// also at another parallelism, and malformed bytes are refused.
#include "nagare/detail/snapshot.hpp"
#include "state_support.hpp"

namespace nagare {
namespace {

using namespace state_testing;

// Every case runs on both state backends (leveldb with a cache of a few keys).
using state_snapshot = on_both_backends;
INSTANTIATE_BACKENDS(state_snapshot);

// All three states of every key survive a snapshot, the chain-level encoding and a restore.
TEST_P(state_snapshot, round_trip_keeps_every_state_of_every_key) {
  backend before;
  model m;
  random_ops(before, m, 5000, 200, 11);
  ASSERT_FALSE(m.empty());
  auto snap = through_bytes(before.snapshot());
  EXPECT_TRUE(snap.entries.empty());
  backend after;
  auto st = after.restore({snap});
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(after.keyed.size(), m.size());
  EXPECT_EQ(after.contents(), m);
  // The restored state keeps working like the model.
  random_ops(after, m, 2000, 200, 12);
  EXPECT_EQ(after.contents(), m);
}

// Every key group string holds only keys of its own group.
TEST_P(state_snapshot, keys_are_written_under_their_key_group) {
  backend b;
  model m;
  random_ops(b, m, 3000, 150, 5);
  std::set<uint32_t> expected;
  for (const auto& [k, s] : m) expected.insert(key_group_of(key_hash<std::string>{}(k), max_par));
  std::set<uint32_t> written;
  for (const auto& [kg, bytes] : b.snapshot().key_groups) written.insert(kg);
  EXPECT_EQ(written, expected);
}

// Keyed state of 3 subtasks restored into 2 and into 5: every key lands exactly once, in the
// subtask that owns its key group at the new parallelism, with all of its states.
TEST_P(state_snapshot, rescales_from_3_to_2_and_5) {
  std::vector<std::unique_ptr<backend>> old;
  model all;
  for (uint32_t s = 0; s < 3; ++s) old.push_back(std::make_unique<backend>(s, 3));
  {
    // Generate on a single backend's model, then route each key to its owner as the exchange does.
    backend scratch;
    random_ops(scratch, all, 8000, 500, 21);
  }
  for (const auto& [k, s] : all) {
    auto& b = *old[owner(k, 3)];
    b.at(k);
    if (s.value) b.count.set(*s.value);
    if (!s.list.empty()) b.seen.update(s.list);
    for (const auto& [mk, mv] : s.map) b.tags.put(mk, mv);
  }
  snapshots previous;
  for (const auto& b : old) previous.push_back(through_bytes(b->snapshot()));

  for (uint32_t q : {2u, 5u}) {
    model got;
    for (uint32_t s = 0; s < q; ++s) {
      backend b(s, q);
      auto st = b.restore(previous);
      ASSERT_TRUE(st.ok()) << st.message();
      for (const auto& [k, ks] : b.contents()) {
        EXPECT_EQ(owner(k, q), s) << k << " restored into the wrong subtask of " << q;
        EXPECT_TRUE(got.emplace(k, ks).second) << k << " restored twice at parallelism " << q;
      }
    }
    EXPECT_EQ(got, all) << "parallelism " << q;
  }
}

// A state declared now but absent from the snapshot (added in a new job version) starts empty;
// the states that are in the snapshot restore.
TEST_P(state_snapshot, a_newly_declared_state_starts_empty) {
  detail::keyed_state<std::string> old_keyed;
  old_keyed.open({0, max_par}, max_par);
  detail::operator_state ops;
  state_context old_ctx(&old_keyed, &ops, where(0, 1));
  auto old_count = old_ctx.value<int64_t>("count");
  std::string k = "a";
  old_keyed.set_current_key(key_hash<std::string>{}(k), k);
  old_count.set(7);
  detail::operator_snapshot snap;
  detail::key_group_map_writer into(snap.key_groups);
  old_keyed.write_key_groups(into);

  backend b;  // declares "count", "seen" and "tags"
  ASSERT_TRUE(b.restore({snap}).ok());
  b.at("a");
  EXPECT_EQ(b.current(), (key_state{7, {}, {}}));
}

// Malformed or mismatched keyed state bytes are an error status, never a crash: each case names
// one way the bytes can be wrong.
TEST_P(state_snapshot, keyed_restore_rejects_malformed_state) {
  const std::string key = "a";
  const uint32_t kg = key_group_of(key_hash<std::string>{}(key), max_par);
  const std::vector<std::pair<std::string, uint8_t>> states = {
      {"count", value_kind}, {"seen", list_kind}, {"tags", map_kind}};
  auto value = "\x01" + encode(int64_t{5});
  auto list = "\x01" + encode(strings{"x"});
  auto map = std::string("\x01\x02") + encode(uint32_t{1}) + encode(std::string("one")) +
             encode(uint32_t{2}) + encode(std::string("two"));
  auto entry = encode(key) + value + list + map;
  ASSERT_TRUE(backend().restore({{{{kg, key_group_bytes(states, 1, entry)}}, {}}}).ok())
      << "the valid case";
  {
    backend b;
    ASSERT_TRUE(b.restore({{{{kg, key_group_bytes(states, 1, entry)}}, {}}}).ok());
    b.at(key);
    EXPECT_EQ(b.current(), (key_state{5, {"x"}, {{1, "one"}, {2, "two"}}}))
        << "the valid case decodes to what the bytes say";
  }

  auto map_of = [&](uint32_t a, uint32_t b) {
    return "\x01\x02" + encode(a) + encode(std::string("a")) + encode(b) + encode(std::string("b"));
  };
  struct bad {
    const char* what;
    std::string bytes;
  };
  std::vector<bad> cases = {
      {"an empty list stored",
       key_group_bytes(states, 1, encode(key) + value + "\x01" + encode(strings{}) + absent)},
      {"an empty map stored",
       key_group_bytes(states, 1, encode(key) + value + absent + "\x01" + absent)},
      {"map keys not increasing",
       key_group_bytes(states, 1, encode(key) + value + absent + map_of(2, 1))},
      {"the same map key twice",
       key_group_bytes(states, 1, encode(key) + value + absent + map_of(1, 1))},
      {"a map cut short", key_group_bytes(states, 1, entry.substr(0, entry.size() - 2))},
      {"a state named twice in the header",
       key_group_bytes({{"count", value_kind}, {"count", value_kind}}, 1,
                       encode(key) + value + value)},
      {"state count beyond the bytes", std::string("\x01\x7f", 2)},
      {"a value cut short", key_group_bytes(states, 1, encode(key) + "\x01\x05")},
  };
  for (const auto& c : cases) {
    backend b;
    auto st = b.restore({{{{kg, c.bytes}}, {}}});
    EXPECT_FALSE(st.ok()) << c.what;
    EXPECT_FALSE(st.message().empty()) << c.what;
  }
  // Restoring a key group the subtask does not own directly is refused too.
  backend other(owner(key, 2) == 0 ? 1 : 0, 2);
  EXPECT_FALSE(other.keyed.read_key_group(kg, key_group_bytes(states, 1, entry)).ok());
}

// Operator list state with even-split redistribution: the elements of 3 subtasks, restored at 2
// and at 5, each reach exactly one subtask, the i-th (in subtask order) subtask i % q.
TEST_P(state_snapshot, operator_list_even_split_deals_each_element_once) {
  snapshots previous;
  std::vector<uint64_t> all;
  for (uint32_t s = 0; s < 3; ++s) {
    detail::operator_state ops;
    state_context ctx(nullptr, &ops, where(s, 3));
    auto list = ctx.operator_list<uint64_t>("offsets");
    for (uint64_t i = 0; i < 4 + s; ++i) {
      list.add(s * 100 + i);
      all.push_back(s * 100 + i);
    }
    detail::operator_snapshot snap;
    ops.write(snap.entries);
    EXPECT_TRUE(snap.key_groups.empty());
    previous.push_back(through_bytes(snap));
  }
  for (uint32_t q : {2u, 5u}) {
    std::vector<uint64_t> got;
    for (uint32_t s = 0; s < q; ++s) {
      detail::operator_state ops;
      state_context ctx(nullptr, &ops, where(s, q));
      auto list = ctx.operator_list<uint64_t>("offsets");
      ASSERT_TRUE(ops.restore(previous, s, q).ok());
      std::vector<uint64_t> expected;
      for (size_t i = s; i < all.size(); i += q) expected.push_back(all[i]);
      EXPECT_EQ(list.get(), expected) << "subtask " << s << " of " << q;
      got.insert(got.end(), list.get().begin(), list.get().end());
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, all) << "parallelism " << q;
  }
}

// Union redistribution hands every subtask every element; states are told apart by name.
TEST_P(state_snapshot, operator_list_union_gives_every_subtask_everything) {
  detail::operator_state before;
  state_context ctx(nullptr, &before, where(0, 1));
  auto a = ctx.operator_list<std::string>("a", redistribution::union_all);
  auto b = ctx.operator_list<int32_t>("b");
  a.update({"x", "y", "z"});
  b.add(-1);
  detail::operator_snapshot snap;
  before.write(snap.entries);
  for (uint32_t s = 0; s < 3; ++s) {
    detail::operator_state after;
    state_context actx(nullptr, &after, where(s, 3));
    auto ra = actx.operator_list<std::string>("a", redistribution::union_all);
    auto rb = actx.operator_list<int32_t>("b");
    ASSERT_TRUE(after.restore({snap}, s, 3).ok());
    EXPECT_EQ(ra.get(), (strings{"x", "y", "z"}));
    EXPECT_EQ(rb.get(), s == 0 ? std::vector<int32_t>{-1} : std::vector<int32_t>{});
  }
}

// Malformed or undeclared operator state entries are an error status.
TEST_P(state_snapshot, operator_restore_rejects_malformed_entries) {
  struct bad {
    const char* what;
    std::string entry;
  };
  std::vector<bad> cases = {
      {"empty entry", ""},
      {"name longer than the entry", "\x09offs"},
      {"a state not declared", operator_entry("other", uint64_t{1})},
      {"element cut short", operator_entry("offsets", uint64_t{1}).substr(0, 10)},
      {"bytes after the element", operator_entry("offsets", uint64_t{1}) + "x"},
  };
  for (const auto& c : cases) {
    detail::operator_state ops;
    state_context ctx(nullptr, &ops, where(0, 1));
    ctx.operator_list<uint64_t>("offsets");
    auto st = ops.restore({{{}, {c.entry}}}, 0, 1);
    EXPECT_FALSE(st.ok()) << c.what;
    EXPECT_FALSE(st.message().empty()) << c.what;
  }
}

}  // namespace
}  // namespace nagare
