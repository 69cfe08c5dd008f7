// The leveldb state backend's cache: with room for a few keys only, keys are
// written back, evicted and read again without losing or mixing up state;
// the heap holds at most the cache's keys; size(), for_each_key and
// snapshots cover the keys in the store. Expected contents come from a
// std::map model.
#include "state_support.hpp"

namespace nagare {
namespace {

using namespace state_testing;
using state_leveldb_cache = on_leveldb;

constexpr uint32_t cache = backend_choice::tiny_cache;

// A thousand keys through a cache of eight: all of them are held (in the store), at most the
// cache's worth is on the heap, and each reads back what was written.
TEST_F(state_leveldb_cache, keys_beyond_the_cache_spill_and_read_back) {
  backend b;
  ASSERT_TRUE(b.keyed.spills());
  for (int i = 0; i < 1000; ++i) {
    b.at("k" + std::to_string(i));
    b.count.set(i);
    b.seen.add("a" + std::to_string(i));
    b.tags.put(static_cast<uint32_t>(i % 7), "t" + std::to_string(i));
    EXPECT_LE(b.keyed.cached(), cache + 1u);
  }
  EXPECT_EQ(b.keyed.size(), 1000u);
  for (int i = 999; i >= 0; --i) {
    b.at("k" + std::to_string(i));
    key_state expected{
        i, {"a" + std::to_string(i)}, {{static_cast<uint32_t>(i % 7), "t" + std::to_string(i)}}};
    EXPECT_EQ(b.current(), expected) << "k" << i;
  }
  EXPECT_LE(b.keyed.cached(), cache + 1u);
}

// Updates of a key that was evicted in between land on its stored state, not on a fresh one.
TEST_F(state_leveldb_cache, updates_after_eviction_continue_the_stored_state) {
  backend b;
  model m;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 40; ++i) {
      auto k = "k" + std::to_string(i);
      b.at(k);
      b.count.set_default(0) += i;
      b.seen.add(std::to_string(round));
      m[k].value = m[k].value.value_or(0) + i;
      m[k].list.push_back(std::to_string(round));
    }
  }
  EXPECT_EQ(b.contents(), m);
}

// Emptying a key that lives only in the store deletes it there: size() drops, a visit and a
// snapshot no longer see it, and a key of the same name starts empty.
TEST_F(state_leveldb_cache, emptied_stored_keys_are_deleted_from_the_store) {
  backend b;
  model m;
  for (int i = 0; i < 100; ++i) {
    b.at("k" + std::to_string(i));
    b.count.set(i);
    m["k" + std::to_string(i)].value = i;
  }
  for (int i = 0; i < 100; i += 3) {
    b.at("k" + std::to_string(i));
    b.count.clear();
    m.erase("k" + std::to_string(i));
  }
  EXPECT_EQ(b.keyed.size(), m.size());
  EXPECT_EQ(b.contents(), m);
  backend after;
  ASSERT_TRUE(after.restore({through_bytes(b.snapshot())}).ok());
  EXPECT_EQ(after.contents(), m);
  b.at("k0");
  EXPECT_EQ(b.current(), key_state{});
}

// A visit covers the stored keys, and what it writes stays written (even for keys evicted again
// during the visit).
TEST_F(state_leveldb_cache, a_visit_covers_stored_keys_and_keeps_its_writes) {
  backend b;
  model m;
  for (int i = 0; i < 200; ++i) {
    b.at("k" + std::to_string(i));
    b.count.set(i);
    m["k" + std::to_string(i)].value = i;
  }
  size_t visited = 0;
  b.keyed.for_each_key([&](const std::string& k) {
    ++visited;
    *b.count.get() *= 2;
    m[k].value = *m[k].value * 2;
    if (*b.count.get() % 3 == 0) {
      b.count.clear();
      m.erase(k);
    }
  });
  EXPECT_EQ(visited, 200u);
  EXPECT_EQ(b.keyed.size(), m.size());
  EXPECT_EQ(b.contents(), m);
}

// The same random operations on a backend whose cache has room for a single key: the hardest case
// for eviction (every selection evicts the previous key).
TEST_F(state_leveldb_cache, a_cache_of_one_key_matches_the_model) {
  backend_under_test().cache_keys = 1;
  backend b;
  model m;
  random_ops(b, m, 5000, 60, 99);
  EXPECT_LE(b.keyed.cached(), 2u);
  EXPECT_EQ(b.keyed.size(), m.size());
  EXPECT_EQ(b.contents(), m);
}

}  // namespace
}  // namespace nagare
