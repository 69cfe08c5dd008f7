// Keyed state handles: value, list and map state scoped to the current key,
// keys isolated from each other, keys released when their state is gone.
#include "state_support.hpp"

namespace nagare {
namespace {

using namespace state_testing;

// Every case runs on both state backends (leveldb with a cache of a few keys).
using state_keyed = on_both_backends;
INSTANTIATE_BACKENDS(state_keyed);

// A value belongs to the key that was current when it was set.
TEST_P(state_keyed, value_state_is_per_key) {
  backend b;
  b.at("a");
  EXPECT_EQ(b.count.get(), nullptr) << "a new key has no value";
  EXPECT_EQ(b.count.value_or(-1), -1);
  b.count.set(1);
  b.at("b");
  EXPECT_FALSE(b.count.exists());
  b.count.set(2);
  *b.count.get() += 40;  // writing through get() updates the state
  b.at("a");
  EXPECT_EQ(b.count.value_or(-1), 1);
  b.at("b");
  EXPECT_EQ(b.count.value_or(-1), 42);
  EXPECT_EQ(b.keyed.size(), 2u);
}

// Lists grow per key; update() replaces and clear() empties only the current key's list.
TEST_P(state_keyed, list_state_is_per_key) {
  backend b;
  b.at("a");
  b.seen.add("x");
  b.seen.add("y");
  b.at("b");
  EXPECT_TRUE(b.seen.empty());
  b.seen.update({"z"});
  b.at("a");
  EXPECT_EQ(b.seen.get(), (strings{"x", "y"}));
  b.seen.clear();
  EXPECT_TRUE(b.seen.empty());
  b.at("b");
  EXPECT_EQ(b.seen.get(), (strings{"z"}));
}

// Maps are per key and iterate in key order.
TEST_P(state_keyed, map_state_is_per_key_and_ordered) {
  backend b;
  b.at("a");
  b.tags.put(7, "seven");
  b.tags.put(3, "three");
  b.tags.put(7, "SEVEN");
  b.at("b");
  EXPECT_FALSE(b.tags.contains(7));
  b.tags.put(1, "one");
  b.at("a");
  EXPECT_EQ(b.tags.entries(), (std::map<uint32_t, std::string>{{3, "three"}, {7, "SEVEN"}}));
  ASSERT_NE(b.tags.get(3), nullptr);
  EXPECT_EQ(*b.tags.get(3), "three");
  EXPECT_TRUE(b.tags.remove(3));
  EXPECT_FALSE(b.tags.remove(3)) << "removed already";
  EXPECT_EQ(b.tags.size(), 1u);
  b.at("b");
  EXPECT_EQ(b.tags.size(), 1u);
}

// A key whose states are all empty again no longer counts as held, and its row is reused without
// leaking the old contents into the next key.
TEST_P(state_keyed, emptied_keys_are_released) {
  backend b;
  b.at("a");
  b.count.set(5);
  b.seen.add("x");
  b.at("b");
  b.tags.put(1, "one");
  EXPECT_EQ(b.keyed.size(), 2u);
  b.at("a");
  b.count.clear();
  EXPECT_EQ(b.keyed.size(), 2u) << "the list still holds something";
  b.seen.clear();
  EXPECT_EQ(b.keyed.size(), 1u);
  EXPECT_EQ(b.current(), key_state{});
  b.at("c");  // reuses the released row
  EXPECT_EQ(b.current(), key_state{});
  b.count.set(9);
  EXPECT_TRUE(b.seen.empty());
  b.at("b");
  EXPECT_EQ(b.tags.entries(), (std::map<uint32_t, std::string>{{1, "one"}}));
  EXPECT_EQ(b.keyed.size(), 2u);
}

// Many random operations over many keys (with growth of the table, releases and reuse) leave the
// backend holding exactly what a std::map model holds.
TEST_P(state_keyed, random_operations_match_a_model) {
  backend b;
  model m;
  random_ops(b, m, 20000, 300, 7);
  EXPECT_EQ(b.keyed.size(), m.size());
  EXPECT_EQ(b.contents(), m);
}

// Keys emptied while visiting are released after the visit, and the others stay.
TEST_P(state_keyed, keys_emptied_during_a_visit_are_released_after_it) {
  backend b;
  for (int i = 0; i < 100; ++i) {
    b.at("k" + std::to_string(i));
    b.count.set(i);
  }
  b.keyed.for_each_key([&](const std::string&) {
    if (*b.count.get() % 2 == 0) b.count.clear();
  });
  EXPECT_EQ(b.keyed.size(), 50u);
  auto left = b.contents();
  for (const auto& [k, s] : left) EXPECT_EQ(*s.value % 2, 1) << k;
}

// Declarations: the same name and type returns the same state; conflicts, empty names and keyed
// state without a key are refused.
TEST_P(state_keyed, conflicting_declarations_are_refused) {
  backend b;
  state_context ctx(&b.keyed, &b.ops, b.info);
  auto again = ctx.value<int64_t>("count");
  b.at("a");
  b.count.set(3);
  EXPECT_EQ(again.value_or(0), 3) << "same name, same type: the same state";
  EXPECT_THROW(ctx.value<std::string>("count"), std::invalid_argument);
  EXPECT_THROW(ctx.list<int64_t>("count"), std::invalid_argument);
  EXPECT_THROW(ctx.value<int>(""), std::invalid_argument);
  ctx.operator_list<int>("ops", redistribution::union_all);
  EXPECT_THROW(ctx.operator_list<int>("ops", redistribution::even_split), std::invalid_argument);
  state_context unkeyed(nullptr, &b.ops, b.info);
  EXPECT_THROW(unkeyed.value<int>("v"), std::invalid_argument);
}

// The open-addressing map behind the backend: erasing keeps every other key reachable (backward
// shift), checked against std::map over inserts and erases that force collisions and growth.
TEST_P(state_keyed, keyed_map_erase_keeps_other_keys_reachable) {
  detail::keyed_map<uint64_t, uint64_t> map;
  map.open({0, 128}, 128);
  std::map<uint64_t, uint64_t> expected;
  uint64_t x = 3;
  for (int i = 0; i < 20000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t k = (x >> 33) % 500;
    // Many keys share a hash: long probe runs that wrap around the table.
    uint64_t h = key_hash<uint64_t>{}(k % 37);
    if ((x >> 20) % 3 == 0) {
      EXPECT_EQ(map.erase(h, k), expected.erase(k) == 1);
    } else {
      *map.get_or_create(h, k).first += 1;
      expected[k] += 1;
    }
  }
  EXPECT_EQ(map.size(), expected.size());
  std::map<uint64_t, uint64_t> got;
  map.for_each([&](uint64_t k, uint64_t v, uint64_t) { got[k] = v; });
  EXPECT_EQ(got, expected);
  for (const auto& [k, v] : expected) {
    auto* found = map.find(key_hash<uint64_t>{}(k % 37), k);
    ASSERT_NE(found, nullptr) << k;
    EXPECT_EQ(*found, v);
  }
}

// keyed_map with tags: many keys that share a hash (and so a tag and a home
// slot), keys whose hash is 0, erasures (backward shifts move tags too),
// growth, probe runs that wrap around the end of the table; against a model.
TEST(keyed_map, tags_stay_with_their_entries) {
  detail::keyed_map<uint64_t, uint64_t> map;
  map.open({0, 128}, 128);
  std::map<uint64_t, uint64_t> model;
  uint64_t x = 17;
  auto hash_of = [](uint64_t k) -> uint64_t {
    if (k % 11 == 0) return 0;                           // stored as 1
    if (k % 3 == 0) return key_hash<uint64_t>{}(k % 5);  // long runs of one hash
    // A run from the last slot on wraps around the end of the table.
    if (k % 7 == 0) return key_hash<uint64_t>{}(k) | 0xffff;  // home: the last slot
    return key_hash<uint64_t>{}(k);
  };
  for (int i = 0; i < 60000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t k = (x >> 33) % 3000;
    switch ((x >> 20) % 4) {
      case 0:
        EXPECT_EQ(map.erase(hash_of(k), k), model.erase(k) == 1);
        break;
      case 1: {
        auto* v = map.find(hash_of(k), k);
        auto it = model.find(k);
        ASSERT_EQ(v != nullptr, it != model.end()) << k;
        if (v) {
          EXPECT_EQ(*v, it->second);
        }
        break;
      }
      default: {
        auto [v, created] = map.get_or_create(hash_of(k), k);
        EXPECT_EQ(created, model.count(k) == 0);
        *v += k + 1;
        model[k] += k + 1;
      }
    }
  }
  EXPECT_EQ(map.size(), model.size());
  std::map<uint64_t, uint64_t> got;
  map.for_each([&](uint64_t k, uint64_t v, uint64_t) { got[k] = v; });
  EXPECT_EQ(got, model);
}

}  // namespace
}  // namespace nagare
