// The checkpoint store and incremental chains: records keep each task's
// needs, and retention, savepoints, uploads in flight and dropping older
// checkpoints keep every link a kept snapshot needs.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <vector>

#include "checkpoint_store_fixture.hpp"

namespace nagare {
namespace {

using namespace testing;

// Stores task `task`'s snapshot of `id` needing `needs`.
void put_chain_link(checkpoint_store& s, uint64_t job, uint64_t id, uint32_t task,
                    std::vector<uint64_t> needs) {
  auto st = s.put_snapshot(job, id, task, snapshot_bytes(job, id, task), true, needs);
  ASSERT_TRUE(st.ok()) << st.message();
}

// Which of these checkpoints still hold a snapshot of `task`.
std::vector<uint64_t> snapshots_of(checkpoint_store& s, uint64_t job, uint32_t task,
                                   const std::vector<uint64_t>& ids) {
  std::vector<uint64_t> out;
  for (auto id : ids)
    if (s.snapshot(job, id, task).ok()) out.push_back(id);
  return out;
}

// Checkpoints 1..6 of job 7: task 0 writes a base at 1 and deltas at 2, 3
// (each needing all before), a base at 4 and a delta at 5, 6; task 1 writes
// only complete snapshots. The record stores each task's needs as the
// snapshot was stored with them.
class chain_store_test : public checkpoint_store_test {
 protected:
  const std::vector<uint64_t> all = {1, 2, 3, 4, 5, 6};
  std::map<uint64_t, std::vector<uint64_t>> needs0 = {{1, {}}, {2, {1}}, {3, {1, 2}},
                                                      {4, {}}, {5, {4}}, {6, {4, 5}}};
  void complete_chain(checkpoint_store& s, uint64_t id, bool savepoint = false) {
    put_chain_link(s, 7, id, 0, needs0[id]);
    put_chain_link(s, 7, id, 1, {});
    auto st = s.complete(make_record(7, id, savepoint));
    ASSERT_TRUE(st.ok()) << st.message();
  }
};

TEST_P(chain_store_test, record_has_each_tasks_needs) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  for (uint64_t id : {1, 2, 3}) complete_chain(*s, id);
  auto r = s->record(7, 3);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->tasks[0].needs, (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(r->tasks[1].needs.empty());
  EXPECT_EQ(s->snapshot_needs(7, 3, 0).value(), (std::vector<uint64_t>{1, 2}));
}

// Retention keeps every snapshot a kept checkpoint needs, of that task only;
// the checkpoints beyond retention are no longer listed. A new base frees the
// old chain.
TEST_P(chain_store_test, retain_keeps_what_kept_checkpoints_need) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  for (uint64_t id : {1, 2, 3}) {
    complete_chain(*s, id);
    ASSERT_TRUE(s->retain(7, 1).ok());
  }
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{3}));
  EXPECT_EQ(snapshots_of(*s, 7, 0, all), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(snapshots_of(*s, 7, 1, all), (std::vector<uint64_t>{3}));
  complete_chain(*s, 4);
  ASSERT_TRUE(s->retain(7, 1).ok());
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{4}));
  EXPECT_EQ(snapshots_of(*s, 7, 0, all), (std::vector<uint64_t>{4}));
  complete_chain(*s, 5);
  ASSERT_TRUE(s->retain(7, 2).ok());
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(snapshots_of(*s, 7, 0, all), (std::vector<uint64_t>{4, 5}));
}

// A savepoint keeps its chain through retention and after its job is dropped,
// and stays restorable: every link can be read.
TEST_P(chain_store_test, savepoint_keeps_its_chain) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete_chain(*s, 1);
  complete_chain(*s, 2);
  complete_chain(*s, 3, true);
  for (uint64_t id : {4, 5, 6}) {
    complete_chain(*s, id);
    ASSERT_TRUE(s->retain(7, 1).ok());
  }
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{3, 6}));
  EXPECT_EQ(snapshots_of(*s, 7, 0, all), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(snapshots_of(*s, 7, 1, all), (std::vector<uint64_t>{3, 6}));
  ASSERT_TRUE(s->drop_job(7).ok());
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{3}));
  EXPECT_EQ(snapshots_of(*s, 7, 0, all), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(snapshots_of(*s, 7, 1, all), (std::vector<uint64_t>{3}));
  auto sp = s->savepoint("7-3");
  ASSERT_TRUE(sp.ok()) << sp.error().message();
  for (auto id : sp->tasks[0].needs) EXPECT_TRUE(s->snapshot(7, id, 0).ok()) << id;
}

// A snapshot of a checkpoint in flight (newer than the newest complete one)
// keeps what it needs, even from checkpoints that are otherwise retained away.
TEST_P(chain_store_test, in_flight_snapshot_keeps_its_links) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete_chain(*s, 1);
  complete_chain(*s, 2);
  put_chain_link(*s, 7, 3, 0, {1, 2});  // checkpoint 3 in flight
  complete_chain(*s, 4);                // task 0 wrote a base at 4 (4 overtook 3)
  ASSERT_TRUE(s->retain(7, 1).ok());
  EXPECT_EQ(snapshots_of(*s, 7, 0, all), (std::vector<uint64_t>{4}));  // 3 is older than 4
  put_chain_link(*s, 7, 6, 0, {4, 5});
  put_chain_link(*s, 7, 5, 0, {4});
  ASSERT_TRUE(s->retain(7, 1).ok());
  EXPECT_EQ(snapshots_of(*s, 7, 0, all), (std::vector<uint64_t>{4, 5, 6}));
}

// A checkpoint whose snapshot needs one that is not stored cannot complete.
TEST_P(chain_store_test, complete_requires_every_link) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete_chain(*s, 1);
  put_chain_link(*s, 7, 3, 0, {1, 2});
  put_chain_link(*s, 7, 3, 1, {});
  auto st = s->complete(make_record(7, 3));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(st, "needs its snapshot of checkpoint 2")) << st.message();
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{1}));
  EXPECT_FALSE(s->put_snapshot(7, 3, 0, "x", true, {3}).ok());  // needs must be earlier
}

// drop_before (a node's local copies) keeps, per task, what the snapshots it
// keeps need, and nothing else.
TEST_P(chain_store_test, drop_before_keeps_links_per_task) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  for (uint64_t id : {1, 2, 3}) {
    put_chain_link(*s, 7, id, 0, needs0[id]);
    put_chain_link(*s, 7, id, 1, {});
  }
  ASSERT_TRUE(s->drop_before(7, 3).ok());
  EXPECT_EQ(snapshots_of(*s, 7, 0, all), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(snapshots_of(*s, 7, 1, all), (std::vector<uint64_t>{3}));
  put_chain_link(*s, 7, 4, 0, {});
  ASSERT_TRUE(s->drop_before(7, 4).ok());
  EXPECT_EQ(snapshots_of(*s, 7, 0, all), (std::vector<uint64_t>{4}));
  EXPECT_EQ(snapshots_of(*s, 7, 1, all), (std::vector<uint64_t>{}));
}

INSTANTIATE_TEST_SUITE_P(backends, chain_store_test, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "leveldb" : "memory";
                         });

}  // namespace
}  // namespace nagare
