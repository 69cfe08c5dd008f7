// The two halves of an incremental restore, each on its own: what a task's
// snapshot needs of earlier checkpoints (snapshot_lineage) and how a
// restoring task collects whole chains from what it loads (restore_assembly).
// checkpoint_chain_test.cpp runs them together with the checkpoint store.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nagare/detail/operator.hpp"
#include "restore_assembly.hpp"
#include "snapshot_lineage.hpp"
#include "task_chain.hpp"

namespace nagare {
namespace {

using detail::operator_snapshot;

constexpr uint32_t max_p = 16;

// --- snapshot_lineage -------------------------------------------------------------

std::vector<operator_snapshot> snaps_extending(std::vector<uint64_t> extends) {
  std::vector<operator_snapshot> out(extends.size());
  for (size_t i = 0; i < extends.size(); ++i) out[i].extends = extends[i];
  return out;
}

// Needs are transitive and per task: the union of every operator's chain.
TEST(snapshot_lineage, needs_are_the_chains_of_every_operator) {
  snapshot_lineage l({"a", "b"});
  auto s = snaps_extending({0, 0});
  EXPECT_EQ(l.take(1, s).value(), (std::vector<uint64_t>{}));
  EXPECT_EQ(s[0].checkpoint, 1u);
  s = snaps_extending({1, 0});
  EXPECT_EQ(l.take(2, s).value(), (std::vector<uint64_t>{1}));
  s = snaps_extending({2, 2});
  EXPECT_EQ(l.take(4, s).value(), (std::vector<uint64_t>{1, 2}));
  s = snaps_extending({4, 0});
  EXPECT_EQ(l.take(5, s).value(), (std::vector<uint64_t>{1, 2, 4}));
}

// A delta over an unknown, a forgotten or a later checkpoint is refused, by name.
TEST(snapshot_lineage, refuses_deltas_over_what_it_does_not_keep) {
  snapshot_lineage l({"a"});
  auto s = snaps_extending({0});
  ASSERT_TRUE(l.take(1, s).ok());
  s = snaps_extending({3});
  auto bad = l.take(2, s);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("operator 'a'"), std::string::npos);
  s = snaps_extending({1});
  ASSERT_TRUE(l.take(3, s).ok());
  s = snaps_extending({0});
  ASSERT_TRUE(l.take(4, s).ok());
  l.completed(4);  // 4 is complete: 1..3 are in no chain from 4 on
  EXPECT_EQ(l.remembered(), (std::vector<uint64_t>{4}));
  s = snaps_extending({3});
  EXPECT_FALSE(l.take(5, s).ok());
  s = snaps_extending({4});
  EXPECT_EQ(l.take(5, s).value(), (std::vector<uint64_t>{4}));
  l.completed(5);
  EXPECT_EQ(l.remembered(), (std::vector<uint64_t>{4, 5}));  // 5 needs 4
  l.restored(9, {{4, 5}});
  s = snaps_extending({9});
  EXPECT_EQ(l.take(10, s).value(), (std::vector<uint64_t>{4, 5, 9}));
}

// --- restore_assembly -------------------------------------------------------------

// Two earlier tasks, three operators each, of which the restoring task runs
// two. Loads arrive in the reverse order of asking, so that checkpoint 2 of
// task 1 arrives for operator "b" before operator "a"'s chain reaches it: it
// is asked for again. The result: per operator of the restoring task, task
// 0's chain then task 1's, each oldest first.
TEST(restore_assembly, collects_whole_chains_in_order) {
  std::map<std::pair<uint64_t, uint32_t>, std::vector<operator_snapshot>> stored;
  auto op = [](uint64_t extends, std::string what) {
    operator_snapshot s;
    s.extends = extends;
    s.entries = {std::move(what)};
    return s;
  };
  stored[{5, 0}] = {op(0, "a5"), op(0, "b5"), op(0, "c5")};
  stored[{5, 1}] = {op(4, "a5"), op(2, "b5"), op(0, "c5")};
  stored[{4, 1}] = {op(2, "a4"), op(0, "-"), op(0, "-")};
  stored[{2, 1}] = {op(0, "a2"), op(1, "b2"), op(0, "-")};
  stored[{1, 1}] = {op(0, "-"), op(0, "b1"), op(0, "-")};
  std::vector<stored_task> tasks = {{0, {"a", "b", "c"}, false, {}},
                                    {1, {"a", "b", "c"}, true, {1, 2, 4}}};
  restore_assembly a(5, tasks, {"b", "a"}, 0, max_p);
  std::vector<std::pair<uint64_t, uint32_t>> loads;
  while (!a.done()) {
    auto refs = a.next();
    ASSERT_FALSE(refs.empty());
    for (auto it = refs.rbegin(); it != refs.rend(); ++it) {
      auto r = *it;
      loads.push_back({r.checkpoint, r.task});
      auto bytes = encode_snapshots(stored.at({r.checkpoint, r.task}));
      ASSERT_TRUE(a.add(r.checkpoint, r.task, bytes).ok());
    }
  }
  EXPECT_EQ(loads, (std::vector<std::pair<uint64_t, uint32_t>>{
                       {5, 1}, {5, 0}, {2, 1}, {4, 1}, {2, 1}, {1, 1}}));
  EXPECT_FALSE(a.all_finished());
  EXPECT_EQ(a.chains_of(1), (std::vector<std::vector<uint64_t>>{{2, 4}, {1, 2}, {}}));
  auto got = a.take();
  auto texts = [](const std::vector<operator_snapshot>& v) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(s.entries.at(0) + "@" + std::to_string(s.checkpoint));
    return out;
  };
  EXPECT_EQ(texts(got[0]), (std::vector<std::string>{"b5@5", "b1@1", "b2@2", "b5@5"}));
  EXPECT_EQ(texts(got[1]), (std::vector<std::string>{"a5@5", "a2@2", "a4@4", "a5@5"}));
}

// Broken links are errors that name the snapshot: a delta over a later
// checkpoint, a snapshot holding another checkpoint's state, damage.
TEST(restore_assembly, broken_links_are_named) {
  std::vector<stored_task> tasks = {{3, {"a"}, false, {}}};
  auto one = [](uint64_t extends, uint64_t checkpoint) {
    std::vector<operator_snapshot> v(1);
    v[0].extends = extends;
    v[0].checkpoint = checkpoint;
    return encode_snapshots(v);
  };
  {
    restore_assembly a(5, tasks, {"a"}, 0, max_p);
    a.next();
    auto st = a.add(5, 3, one(6, 5));
    EXPECT_EQ(st.message(),
              "checkpoint 5, task 3: operator 'a' extends checkpoint 6, not an earlier one");
  }
  {
    restore_assembly a(5, tasks, {"a"}, 0, max_p);
    a.next();
    ASSERT_TRUE(a.add(5, 3, one(2, 5)).ok());
    auto st = a.add(2, 3, one(0, 1));
    EXPECT_NE(
        st.message().find("checkpoint 2, task 3: operator 'a' holds its snapshot of checkpoint 1"),
        std::string::npos)
        << st.message();
  }
  {
    restore_assembly a(5, tasks, {"a"}, 0, max_p);
    a.next();
    ASSERT_TRUE(a.add(5, 3, one(2, 5)).ok());
    auto bytes = one(0, 2);
    bytes[bytes.size() / 2] ^= 1;
    auto st = a.add(2, 3, bytes);
    EXPECT_NE(st.message().find("checkpoint 2, task 3: damaged snapshot"), std::string::npos)
        << st.message();
    EXPECT_TRUE(a.done());
    // The damage is typed: the code says corruption and damaged() names the
    // snapshot, so that nobody reads it back from the message.
    EXPECT_EQ(st.code(), errc::corruption);
    ASSERT_TRUE(a.damaged().has_value());
    EXPECT_EQ(a.damaged()->checkpoint, 2u);
    EXPECT_EQ(a.damaged()->task, 3u);
  }
  {
    // Before any error, no snapshot is named damaged.
    restore_assembly a(5, tasks, {"a"}, 0, max_p);
    a.next();
    EXPECT_FALSE(a.damaged().has_value());
  }
}

// Only the key groups the restoring subtask owns are decoded.
TEST(restore_assembly, keeps_only_owned_key_groups) {
  std::vector<operator_snapshot> v(1);
  for (uint32_t kg = 0; kg < max_p; ++kg) v[0].key_groups[kg] = "x";
  std::vector<stored_task> tasks = {{0, {"a"}, true, {}}};
  restore_assembly a(1, tasks, {"a"}, 4, 8);
  a.next();
  ASSERT_TRUE(a.add(1, 0, encode_snapshots(v)).ok());
  ASSERT_TRUE(a.done());
  EXPECT_TRUE(a.all_finished());
  auto got = a.take();
  ASSERT_EQ(got[0].size(), 1u);
  std::set<uint32_t> groups;
  for (const auto& [kg, bytes] : got[0][0].key_groups) groups.insert(kg);
  EXPECT_EQ(groups, (std::set<uint32_t>{4, 5, 6, 7}));
}

}  // namespace
}  // namespace nagare
