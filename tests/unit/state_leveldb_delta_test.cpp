// Incremental checkpoints of the leveldb state backend: restoring a chain of
// deltas gives exactly what restoring a complete snapshot of the same moment
// gives, and what a std::map model holds; deltas extend only checkpoints known
// complete; complete snapshots come after a restore and when the chain grows
// too long or too large. Expected contents always come from the model.
#include <random>

#include "state/delta_chain.hpp"
#include "state_support.hpp"

namespace nagare {
namespace {

using namespace state_testing;
using state_leveldb_delta = on_leveldb;

// The chain that restores checkpoint `id`: its complete snapshot first, then
// each delta over it, following `extends` back from `id`.
snapshots chain_of(const std::map<uint64_t, detail::operator_snapshot>& taken, uint64_t id) {
  snapshots out;
  for (uint64_t c = id;;) {
    const auto& s = taken.at(c);
    out.insert(out.begin(), s);
    if (s.extends == 0) break;
    c = s.extends;
  }
  return out;
}

// A complete snapshot of checkpoint `id` without any key: restoring a delta over it gives the
// keys the delta writes.
detail::operator_snapshot empty_base(uint64_t id) {
  detail::operator_snapshot s;
  s.checkpoint = id;
  return s;
}

// A backend of subtask `s` of `p` restored from `previous` on backend `b`.
std::unique_ptr<backend> restored(state_backend b, const snapshots& previous, uint32_t s = 0,
                                  uint32_t p = 1) {
  auto saved = backend_under_test();  // the fixture's: leveldb in its directory
  backend_under_test().backend = b;
  auto r = std::make_unique<backend>(s, p);
  backend_under_test() = saved;
  auto st = r->restore(previous);
  EXPECT_TRUE(st.ok()) << st.message();
  return r;
}

// Randomized, fixed seed: 40 checkpoints over random operations, a quarter of them declined
// (never completed). After each completed checkpoint, its chain restored on either backend holds
// what the model held then, and so does a complete snapshot taken at the same moment.
TEST_F(state_leveldb_delta, chain_restores_equal_the_model_and_a_complete_snapshot) {
  backend b;
  model m;
  std::map<uint64_t, detail::operator_snapshot> taken;
  std::mt19937_64 rng(20240611);
  size_t deltas = 0, complete_ones = 0;
  for (uint64_t id = 1; id <= 40; ++id) {
    random_ops(b, m, 400, 150, id * 7919);
    auto snap = through_bytes(b.checkpoint(id));
    taken[id] = snap;
    (snap.extends ? deltas : complete_ones)++;
    auto full = through_bytes(b.snapshot());
    EXPECT_EQ(full.extends, 0u);
    if (rng() % 4 == 0) continue;  // declined: never completed
    b.keyed.checkpoint_complete(id);
    auto chain = chain_of(taken, id);
    for (auto mode : {state_backend::memory, state_backend::leveldb}) {
      auto from_chain = restored(mode, chain);
      EXPECT_EQ(from_chain->contents(), m) << "checkpoint " << id << ", chain of " << chain.size();
      EXPECT_EQ(from_chain->keyed.size(), m.size());
    }
    EXPECT_EQ(restored(state_backend::leveldb, {full})->contents(), m) << "checkpoint " << id;
  }
  EXPECT_GT(deltas, 20u) << "most checkpoints are deltas";
  EXPECT_GE(complete_ones, 1u);
}

// Every delta extends a checkpoint that was completed, never a declined one, and holds only the
// changes: keys untouched since are absent from it.
TEST_F(state_leveldb_delta, a_delta_after_a_declined_checkpoint_extends_the_last_complete_one) {
  backend b;
  auto put = [&](const std::string& k, int64_t v) {
    b.at(k);
    b.count.set(v);
  };
  for (int i = 0; i < 50; ++i) put("k" + std::to_string(i), i);
  auto c1 = b.checkpoint(1);
  EXPECT_EQ(c1.extends, 0u) << "nothing complete yet: a complete snapshot";
  b.keyed.checkpoint_complete(1);

  put("k1", 100);
  auto c2 = b.checkpoint(2);  // declined: never completed
  EXPECT_EQ(c2.extends, 1u);

  put("k2", 200);
  b.at("k3");
  b.count.clear();  // k3 deleted
  auto c3 = b.checkpoint(3);
  EXPECT_EQ(c3.extends, 1u) << "checkpoint 2 was never completed";
  model m;
  for (int i = 0; i < 50; ++i) m["k" + std::to_string(i)].value = i;
  m["k1"].value = 100;
  m["k2"].value = 200;
  m.erase("k3");
  EXPECT_EQ(restored(state_backend::memory, {c1, c3})->contents(), m);
  EXPECT_EQ(restored(state_backend::leveldb, {c1, c3})->contents(), m);
  // The delta names exactly the changed keys: k1 and k2 written, k3 deleted (over an empty base,
  // only the keys it writes remain).
  std::set<std::string> in_delta;
  for (const auto& [k, s] : restored(state_backend::memory, {empty_base(1), c3})->contents())
    in_delta.insert(k);
  EXPECT_EQ(in_delta, (std::set<std::string>{"k1", "k2"}));

  // Checkpoint 2 completes late, after 3 was taken: the next delta extends 2 (the latest known
  // complete), and after 3 completes, the one after extends 3.
  b.keyed.checkpoint_complete(2);
  put("k4", 400);
  auto c4 = b.checkpoint(4);
  EXPECT_EQ(c4.extends, 2u);
  b.keyed.checkpoint_complete(3);
  put("k5", 500);
  auto c5 = b.checkpoint(5);
  EXPECT_EQ(c5.extends, 3u);
  m["k5"].value = 500;
  m["k4"].value = 400;
  EXPECT_EQ(restored(state_backend::leveldb, {c1, c3, c5})->contents(), m)
      << "c5's changes since c3 include k4 (changed after c3 was taken)";
}

// Rescaling 2 -> 3 from delta chains: each new subtask restores its key groups from the chains of
// both old subtasks, and together they hold what the model holds, each key once, in its owner.
TEST_F(state_leveldb_delta, chains_of_two_subtasks_restore_into_three) {
  std::vector<std::unique_ptr<backend>> old;
  for (uint32_t s = 0; s < 2; ++s) old.push_back(std::make_unique<backend>(s, 2));
  model all;
  std::vector<std::map<uint64_t, detail::operator_snapshot>> taken(2);
  for (uint64_t id = 1; id <= 6; ++id) {
    // Random writes and deletions, each on the backend of the key's owner.
    uint64_t x = id * 104729;
    for (int i = 0; i < 600; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      auto k = "key" + std::to_string((x >> 33) % 400);
      auto& b = *old[owner(k, 2)];
      b.at(k);
      if ((x >> 20) % 5 == 0) {
        b.count.clear();
        b.seen.clear();
        b.tags.clear();
        all.erase(k);
      } else {
        b.count.set_default(0) += 1;
        b.seen.add("v" + std::to_string(i));
        all[k].value = all[k].value.value_or(0) + 1;
        all[k].list.push_back("v" + std::to_string(i));
      }
    }
    for (uint32_t s = 0; s < 2; ++s) {
      taken[s][id] = through_bytes(old[s]->checkpoint(id));
      old[s]->keyed.checkpoint_complete(id);
    }
  }
  EXPECT_NE(taken[0][6].extends, 0u) << "the last checkpoint is a delta";
  snapshots previous;
  for (uint32_t s = 0; s < 2; ++s) {
    auto chain = chain_of(taken[s], 6);
    previous.insert(previous.end(), chain.begin(), chain.end());
  }
  for (auto mode : {state_backend::memory, state_backend::leveldb}) {
    model got;
    for (uint32_t s = 0; s < 3; ++s) {
      auto b = restored(mode, previous, s, 3);
      for (const auto& [k, ks] : b->contents()) {
        EXPECT_EQ(owner(k, 3), s) << k << " restored into the wrong subtask";
        EXPECT_TRUE(got.emplace(k, ks).second) << k << " restored twice";
      }
    }
    EXPECT_EQ(got, all);
  }
}

// The first snapshot after a restore from a savepoint (not the task's own checkpoint) is
// complete: the restored task extends nothing it did not write itself.
TEST_F(state_leveldb_delta, the_first_snapshot_after_a_restore_is_complete) {
  backend b;
  model m;
  random_ops(b, m, 500, 50, 3);
  auto c1 = b.checkpoint(1);
  b.keyed.checkpoint_complete(1);
  random_ops(b, m, 100, 50, 4);
  auto c2 = b.checkpoint(2);
  ASSERT_EQ(c2.extends, 1u);
  auto r = restored(state_backend::leveldb, {c1, c2});
  EXPECT_EQ(r->contents(), m);
  EXPECT_EQ(r->checkpoint(3).extends, 0u);
}

// A restart restores the task's own chain: the first snapshot after it is a delta over the
// restored checkpoint, holding only what changed since, and the chain restores the model. A
// restore from another chain that does not end at the checkpoint named own is complete.
TEST_F(state_leveldb_delta, a_restart_goes_on_with_the_chain_it_restored) {
  backend b;
  model m;
  random_ops(b, m, 500, 50, 5);
  std::map<uint64_t, detail::operator_snapshot> taken;
  taken[1] = through_bytes(b.checkpoint(1));
  b.keyed.checkpoint_complete(1);
  random_ops(b, m, 10, 50, 6);  // a small delta: the chain stays below the state's size
  taken[2] = through_bytes(b.checkpoint(2));
  ASSERT_EQ(taken[2].extends, 1u);
  b.keyed.checkpoint_complete(2);

  backend r;  // the restarted task
  ASSERT_TRUE(detail::restore_key_groups(r.keyed, chain_of(taken, 2), max_par, 2).ok());
  EXPECT_EQ(r.contents(), m);
  r.at("new");
  r.count.set(1);
  m["new"].value = 1;
  taken[3] = through_bytes(r.checkpoint(3));
  EXPECT_EQ(taken[3].extends, 2u) << "a delta over the restored checkpoint";
  EXPECT_EQ(restored(state_backend::memory, {empty_base(2), taken[3]})->contents(),
            (model{{"new", key_state{1, {}, {}}}}))
      << "only the change since the restore";
  EXPECT_EQ(restored(state_backend::leveldb, chain_of(taken, 3))->contents(), m);

  backend other;  // own names a checkpoint the chain does not end at: a complete snapshot
  ASSERT_TRUE(detail::restore_key_groups(other.keyed, chain_of(taken, 2), max_par, 7).ok());
  EXPECT_EQ(other.checkpoint(8).extends, 0u);
}

// A chain is cut by a complete snapshot after max_length deltas, and as soon as the deltas since
// the last complete snapshot hold more bytes than the state (every key rewritten each time).
TEST_F(state_leveldb_delta, long_or_large_chains_end_with_a_complete_snapshot) {
  {
    backend b;
    std::vector<uint64_t> extends;
    for (uint64_t id = 1; id <= 2 + detail::delta_chain::max_length; ++id) {
      b.at("k" + std::to_string(id % 1000));  // one small change per checkpoint
      b.count.set(static_cast<int64_t>(id));
      for (int i = 0; id == 1 && i < 200; ++i) {
        b.at("filler" + std::to_string(i));
        b.count.set(i);
      }
      extends.push_back(b.checkpoint(id).extends);
      b.keyed.checkpoint_complete(id);
    }
    EXPECT_EQ(extends.front(), 0u);
    for (size_t i = 1; i <= detail::delta_chain::max_length; ++i)
      EXPECT_EQ(extends[i], i) << "delta " << i;
    EXPECT_EQ(extends[detail::delta_chain::max_length + 1], 0u) << "the chain is full";
  }
  {
    backend b;
    std::vector<uint64_t> extends;
    for (uint64_t id = 1; id <= 4; ++id) {
      for (int i = 0; i < 100; ++i) {  // every key changes every time
        b.at("k" + std::to_string(i));
        b.count.set(static_cast<int64_t>(id * 1000 + i));
      }
      extends.push_back(b.checkpoint(id).extends);
      b.keyed.checkpoint_complete(id);
    }
    // 1 complete, 2 a delta over it as large as the state; by 4 at the latest the deltas hold
    // more bytes than the state: a complete snapshot again.
    EXPECT_EQ(extends[0], 0u);
    EXPECT_EQ(extends[1], 1u);
    EXPECT_TRUE(extends[2] == 0 || extends[3] == 0)
        << extends[0] << " " << extends[1] << " " << extends[2] << " " << extends[3];
  }
}

// Keys only read (not written) since the last checkpoint are not in the next delta.
TEST_F(state_leveldb_delta, reading_a_key_does_not_put_it_in_the_delta) {
  backend b;
  for (int i = 0; i < 30; ++i) {
    b.at("k" + std::to_string(i));
    b.count.set(i);
  }
  b.checkpoint(1);
  b.keyed.checkpoint_complete(1);
  for (int i = 0; i < 30; ++i) {
    b.at("k" + std::to_string(i));
    EXPECT_EQ(b.count.value_or(-1), i);
  }
  b.at("k7");
  b.count.set(70);
  auto c2 = b.checkpoint(2);
  ASSERT_EQ(c2.extends, 1u);
  auto r = restored(state_backend::memory, {empty_base(1), c2});
  EXPECT_EQ(r->contents(), (model{{"k7", key_state{70, {}, {}}}}));
}

}  // namespace
}  // namespace nagare
