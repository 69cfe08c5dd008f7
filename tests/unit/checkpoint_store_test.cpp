// The checkpoint store: snapshots and records in memory and in LevelDB,
// which checkpoints count as complete, what retention and dropping a job
// delete (never savepoints, never what a kept snapshot needs), snapshots in
// chunks, numbering after a restart, and damage detection (incremental
// chains: checkpoint_store_chain_test.cpp).
#include <gtest/gtest.h>
#include <leveldb/db.h>

#include "corrupt_snapshot.hpp"
#include "process.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "checkpoint_record.hpp"
#include "checkpoint_store_fixture.hpp"
#include "sealed_buffer.hpp"
#include "task_chain.hpp"

namespace nagare {
namespace {

using namespace testing;

// A snapshot's bytes come back unchanged, NULs included, synced or not; storing again replaces.
TEST_P(checkpoint_store_test, snapshot_round_trips) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->put_snapshot(1, 2, 3, binary_bytes, true).ok());
  ASSERT_TRUE(s->put_snapshot(1, 2, 4, "local copy", false).ok());
  ASSERT_TRUE(s->put_snapshot(1, 2, 4, "replaced", false).ok());
  ASSERT_TRUE(s->put_snapshot(1, 2, 5, "", true).ok());
  auto a = s->snapshot(1, 2, 3);
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a.value(), binary_bytes);
  auto b = s->snapshot(1, 2, 4);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value(), "replaced");
  auto c = s->snapshot(1, 2, 5);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value(), "");
}

// Another task, checkpoint or job is not_found, and the message says which.
TEST_P(checkpoint_store_test, missing_snapshot_is_not_found) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->put_snapshot(1, 2, 3, "x", true).ok());
  for (auto [job, cp, task] :
       {std::tuple<uint64_t, uint64_t, uint32_t>{1, 2, 4}, {1, 3, 3}, {2, 2, 3}, {0, 0, 0}}) {
    auto got = s->snapshot(job, cp, task);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code(), errc::not_found);
    EXPECT_TRUE(mentions(got.error(), "checkpoint " + std::to_string(cp) + " of job " +
                                          std::to_string(job) + " has no snapshot of task " +
                                          std::to_string(task)))
        << got.error().message();
  }
}

// A record comes back field for field; a checkpoint with snapshots only is not complete.
TEST_P(checkpoint_store_test, record_round_trips_and_only_records_complete) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete(*s, 7, 1);
  complete(*s, 7, 2, true);
  put_snapshots(*s, 7, 3);  // no record: incomplete
  for (uint64_t id : {1, 2}) {
    auto r = s->record(7, id);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r.value(), make_record(7, id, id == 2));
  }
  auto missing = s->record(7, 3);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), errc::not_found);
  EXPECT_TRUE(mentions(missing.error(), "checkpoint 3 of job 7 is not complete"));
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{1, 2}));
}

// A record naming a task without a stored snapshot is refused, and nothing is written.
TEST_P(checkpoint_store_test, complete_requires_every_task_snapshot) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->put_snapshot(7, 1, 0, "only task 0", true).ok());
  auto st = s->complete(make_record(7, 1));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(st, "task 1 has no snapshot")) << st.message();
  EXPECT_EQ(s->record(7, 1).error().code(), errc::not_found);
  EXPECT_EQ(s->complete(make_record(7, 0)).code(), errc::invalid_argument);  // ids start at 1
}

// completed() is ascending by id (not by the ids' decimal text), one job only.
TEST_P(checkpoint_store_test, completed_is_ascending_per_job) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  for (uint64_t id :
       {uint64_t{300}, uint64_t{2}, uint64_t{10}, uint64_t{1} << 40, uint64_t{16}, uint64_t{9}})
    complete(*s, 5, id);
  complete(*s, 4, 1);
  complete(*s, 6, 3);
  complete(*s, 1ULL << 33, 3);
  EXPECT_EQ(completed(*s, 5), (std::vector<uint64_t>{2, 9, 10, 16, 300, 1ULL << 40}));
  EXPECT_EQ(completed(*s, 4), (std::vector<uint64_t>{1}));
  EXPECT_EQ(completed(*s, 1ULL << 33), (std::vector<uint64_t>{3}));
  EXPECT_EQ(completed(*s, 99), (std::vector<uint64_t>{}));
}

// retain(n) keeps exactly the newest n plain complete checkpoints plus every
// savepoint; incomplete ones go if older than the newest complete one, stay if newer.
TEST_P(checkpoint_store_test, retain_keeps_newest_n_and_every_savepoint) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete(*s, 7, 1);
  complete(*s, 7, 2, true);
  put_snapshots(*s, 7, 3);  // failed, incomplete
  complete(*s, 7, 4);
  complete(*s, 7, 5, true);
  complete(*s, 7, 6);
  complete(*s, 7, 7);
  put_snapshots(*s, 7, 8);  // in flight
  complete(*s, 8, 1);       // another job

  ASSERT_TRUE(s->retain(7, 2).ok());
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{2, 5, 6, 7}));
  for (uint64_t id : {1, 3, 4}) EXPECT_FALSE(has_snapshot(*s, 7, id)) << id;
  for (uint64_t id : {2, 5, 6, 7, 8}) EXPECT_TRUE(has_snapshot(*s, 7, id)) << id;
  EXPECT_EQ(completed(*s, 8), (std::vector<uint64_t>{1}));

  ASSERT_TRUE(s->retain(7, 2).ok());  // again: nothing more to delete
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{2, 5, 6, 7}));
  ASSERT_TRUE(s->retain(7, 1).ok());
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{2, 5, 7}));
  EXPECT_FALSE(has_snapshot(*s, 7, 6));
  EXPECT_TRUE(has_snapshot(*s, 7, 8));
  EXPECT_EQ(s->retain(7, 0).code(), errc::invalid_argument);
}

// With no more than n complete checkpoints, retain deletes only older incomplete ones.
TEST_P(checkpoint_store_test, retain_with_few_checkpoints_keeps_them) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  put_snapshots(*s, 7, 1);
  ASSERT_TRUE(s->retain(7, 3).ok());  // nothing complete: nothing deleted
  EXPECT_TRUE(has_snapshot(*s, 7, 1));
  complete(*s, 7, 2);
  complete(*s, 7, 3);
  ASSERT_TRUE(s->retain(7, 3).ok());
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{2, 3}));
  EXPECT_FALSE(has_snapshot(*s, 7, 1));
}

// drop_job deletes a job's checkpoints, complete or not, but keeps its savepoints whole.
TEST_P(checkpoint_store_test, drop_job_keeps_savepoints) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete(*s, 7, 1);
  complete(*s, 7, 2, true);
  complete(*s, 7, 3);
  put_snapshots(*s, 7, 4);
  complete(*s, 8, 1);
  ASSERT_TRUE(s->drop_job(7).ok());
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{2}));
  EXPECT_TRUE(has_snapshot(*s, 7, 2));
  EXPECT_TRUE(s->snapshot(7, 2, 1).ok());
  for (uint64_t id : {1, 3, 4}) EXPECT_FALSE(has_snapshot(*s, 7, id)) << id;
  EXPECT_EQ(completed(*s, 8), (std::vector<uint64_t>{1}));
  EXPECT_TRUE(s->savepoint("7-2").ok());
  ASSERT_TRUE(s->drop_job(99).ok());  // nothing stored: nothing to do
}

// drop_before deletes what is older than the given checkpoint, savepoints excepted.
TEST_P(checkpoint_store_test, drop_before_deletes_older_checkpoints) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  put_snapshots(*s, 7, 1);
  complete(*s, 7, 2, true);
  complete(*s, 7, 3);
  put_snapshots(*s, 7, 4);
  ASSERT_TRUE(s->drop_before(7, 4).ok());
  EXPECT_FALSE(has_snapshot(*s, 7, 1));
  EXPECT_TRUE(has_snapshot(*s, 7, 2));
  EXPECT_FALSE(has_snapshot(*s, 7, 3));
  EXPECT_TRUE(has_snapshot(*s, 7, 4));
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{2}));
}

// highest_id counts snapshots and records of that job only; 0 when there is nothing.
TEST_P(checkpoint_store_test, highest_id_covers_snapshots_and_records) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto highest = [&](uint64_t job) {
    auto h = s->highest_id(job);
    EXPECT_TRUE(h.ok()) << h.error().message();
    return h.ok() ? h.value() : ~uint64_t{0};
  };
  EXPECT_EQ(highest(7), 0u);
  complete(*s, 7, 3);
  EXPECT_EQ(highest(7), 3u);
  ASSERT_TRUE(s->put_snapshot(7, 12, 0, "in flight", false).ok());
  EXPECT_EQ(highest(7), 12u);
  ASSERT_TRUE(s->put_snapshot(8, 1ULL << 50, 0, "x", false).ok());
  ASSERT_TRUE(s->put_snapshot(6, 99, 0, "x", false).ok());
  EXPECT_EQ(highest(7), 12u);
  EXPECT_EQ(highest(8), 1ULL << 50);
  EXPECT_EQ(highest(9), 0u);
}

// Savepoints are found by their id, across jobs; a plain checkpoint's id is not a savepoint.
TEST_P(checkpoint_store_test, savepoints_by_id) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete(*s, 3, 17, true);
  complete(*s, 3, 18);
  complete(*s, 2, 40, true);
  auto sp = s->savepoint("3-17");
  ASSERT_TRUE(sp.ok()) << sp.error().message();
  EXPECT_EQ(sp.value(), make_record(3, 17, true));
  auto plain = s->savepoint("3-18");
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code(), errc::not_found);
  EXPECT_TRUE(mentions(plain.error(), "not a savepoint")) << plain.error().message();
  auto unknown = s->savepoint("3-99");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), errc::not_found);
  EXPECT_TRUE(mentions(unknown.error(), "no savepoint 3-99"));
  EXPECT_EQ(s->savepoint("latest").error().code(), errc::invalid_argument);
  auto all = s->savepoints();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->checkpoints.size(), 2u);
  EXPECT_EQ(all->checkpoints[0], make_record(2, 40, true));
  EXPECT_EQ(all->checkpoints[1], make_record(3, 17, true));
  EXPECT_TRUE(all->damaged.empty());
}

// Many tasks storing at once (a node's store is shared by its tasks) lose nothing.
TEST_P(checkpoint_store_test, concurrent_puts) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t)
    threads.emplace_back([&s, t] {
      for (uint64_t cp = 1; cp <= 25; ++cp)
        (void)s->put_snapshot(1, cp, t, snapshot_bytes(1, cp, t), false);
    });
  for (auto& th : threads) th.join();
  for (uint32_t t = 0; t < 4; ++t)
    for (uint64_t cp = 1; cp <= 25; ++cp) {
      auto got = s->snapshot(1, cp, t);
      ASSERT_TRUE(got.ok()) << got.error().message();
      EXPECT_EQ(got.value(), snapshot_bytes(1, cp, t));
    }
}

// --- chunks -------------------------------------------------------------------------

// A snapshot stored in chunks reads back whole and chunk by chunk; a
// replacement with fewer chunks leaves none of the old ones.
TEST_P(checkpoint_store_test, chunked_snapshot_round_trips) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  const auto bytes = snapshot_bytes(1, 2, 3);  // about 3 KiB
  ASSERT_TRUE(s->put_snapshot(1, 2, 3, bytes, true, {}, 1000).ok());
  auto whole = s->snapshot(1, 2, 3);
  ASSERT_TRUE(whole.ok()) << whole.error().message();
  EXPECT_EQ(whole.value(), bytes);
  std::string joined;
  for (uint32_t i = 0; i < 4; ++i) {
    auto piece = s->snapshot_chunk(1, 2, 3, i);
    ASSERT_TRUE(piece.ok()) << piece.error().message();
    EXPECT_EQ(piece->chunks, 4u);
    joined += piece->bytes;
  }
  EXPECT_EQ(joined, bytes);
  EXPECT_FALSE(s->snapshot_chunk(1, 2, 3, 4).ok());
  ASSERT_TRUE(s->put_snapshot(1, 2, 3, "short", true, {}, 1000).ok());
  EXPECT_EQ(s->snapshot(1, 2, 3).value(), "short");
  EXPECT_EQ(s->snapshot_chunk(1, 2, 3, 0)->chunks, 1u);
}

// An upload that stopped after some chunks is not a stored snapshot: it is
// not found, cannot complete a checkpoint, and is deleted like any other.
TEST_P(checkpoint_store_test, unfinished_upload_is_not_stored) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->put_snapshot_chunk(7, 1, 0, 0, 3, "first", {}, true).ok());
  ASSERT_TRUE(s->put_snapshot_chunk(7, 1, 0, 1, 3, "second", {}, true).ok());
  ASSERT_TRUE(s->put_snapshot(7, 1, 1, "whole", true).ok());
  auto got = s->snapshot(7, 1, 0);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), errc::not_found);
  EXPECT_TRUE(mentions(got.error(), "did not finish")) << got.error().message();
  EXPECT_FALSE(s->complete(make_record(7, 1)).ok());
  EXPECT_EQ(s->highest_id(7).value(), 1u);
  ASSERT_TRUE(s->put_snapshot_chunk(7, 1, 0, 2, 3, "third", {}, true).ok());
  EXPECT_EQ(s->snapshot(7, 1, 0).value(), "firstsecondthird");
  EXPECT_FALSE(s->put_snapshot_chunk(7, 1, 0, 3, 3, "x", {}, true).ok());
}

INSTANTIATE_TEST_SUITE_P(backends, checkpoint_store_test, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "leveldb" : "memory";
                         });

// Everything survives closing and reopening the directory: records, savepoints, numbering.
TEST_F(checkpoint_store_disk_test, persists_across_reopen) {
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    complete(*s, 7, 1, true);
    complete(*s, 7, 2);
    ASSERT_TRUE(s->put_snapshot(7, 3, 0, "in flight", false).ok());
  }
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(completed(*s, 7), (std::vector<uint64_t>{1, 2}));
  auto r = s->record(7, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), make_record(7, 2));
  EXPECT_TRUE(s->savepoint("7-1").ok());
  EXPECT_EQ(s->highest_id(7).value(), 3u);
  auto snap = s->snapshot(7, 3, 0);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value(), "in flight");
}

// A record with a changed byte is reported (with its checkpoint and the reason), never
// returned; the others stay usable, and retention treats it as incomplete.
TEST_F(checkpoint_store_disk_test, damaged_record_is_detected) {
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    for (uint64_t id : {1, 2, 3, 4}) complete(*s, 7, id);
  }
  overwrite(checkpoint_record_key(7, 2), [](std::string& v) { v[v.size() - 3] ^= 0x10; });
  overwrite(checkpoint_record_key(7, 4), [](std::string& v) { v.resize(10); });
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto l = s->completed(7);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(ids_of(l.value()), (std::vector<uint64_t>{1, 3}));
  ASSERT_EQ(l->damaged.size(), 2u);
  EXPECT_NE(l->damaged[0].find("checkpoint 2 of job 7 has a damaged record: checksum mismatch"),
            std::string::npos)
      << l->damaged[0];
  EXPECT_NE(l->damaged[1].find("checkpoint 4 of job 7 has a damaged record"), std::string::npos)
      << l->damaged[1];
  auto r = s->record(7, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::io_error);
  // The newest readable one is 3: 1 and damaged 2 go, damaged 4 (newer) stays.
  ASSERT_TRUE(s->retain(7, 1).ok());
  EXPECT_FALSE(has_snapshot(*s, 7, 1));
  EXPECT_FALSE(has_snapshot(*s, 7, 2));
  EXPECT_TRUE(has_snapshot(*s, 7, 3));
  EXPECT_TRUE(has_snapshot(*s, 7, 4));
  EXPECT_EQ(s->highest_id(7).value(), 4u);
}

// A record moved under another checkpoint's key is damage too, not that checkpoint.
TEST_F(checkpoint_store_disk_test, record_under_the_wrong_key_is_detected) {
  std::string first;
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    complete(*s, 7, 1);
    complete(*s, 7, 2);
  }
  overwrite(checkpoint_record_key(7, 1), [&](std::string& v) { first = v; });
  overwrite(checkpoint_record_key(7, 2), [&](std::string& v) { v = first; });
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto r = s->record(7, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r.error(), "it describes checkpoint 1 of job 7")) << r.error().message();
}

// The fault-injection helper damages exactly one stored snapshot so that decoding it
// fails, and complete_checkpoints() lists what a restarted coordinator would find.
TEST_F(checkpoint_store_disk_test, corrupt_snapshot_helper) {
  detail::operator_snapshot op;
  op.key_groups[3] = "counts";
  op.entries = {"offset 42"};
  const auto encoded = encode_snapshots({op});
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    for (uint64_t id : {1, 2}) {
      for (uint32_t t = 0; t < 2; ++t) ASSERT_TRUE(s->put_snapshot(7, id, t, encoded, true).ok());
      ASSERT_TRUE(s->complete(make_record(7, id)).ok());
    }
  }
  EXPECT_EQ(testing::complete_checkpoints(dir_, 7), (std::vector<uint64_t>{1, 2}));
  testing::corrupt_stored_snapshot(dir_, 7, 2, 1);
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto damaged = s->snapshot(7, 2, 1);
  ASSERT_TRUE(damaged.ok());
  EXPECT_NE(damaged.value(), encoded);
  EXPECT_FALSE(decode_snapshots(damaged.value()).ok());
  for (auto [cp, task] : {std::pair<uint64_t, uint32_t>{2, 0}, {1, 1}})
    EXPECT_TRUE(decode_snapshots(s->snapshot(7, cp, task).value()).ok());
}

// Dropping deletes every chunk and index, whole upload or not; a missing
// chunk is damage, reported with the checkpoint and task.
TEST_F(checkpoint_store_disk_test, chunks_are_deleted_and_missing_ones_reported) {
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->put_snapshot(7, 1, 0, std::string(5000, 'a'), true, {}, 1000).ok());
    ASSERT_TRUE(s->put_snapshot(7, 2, 0, std::string(5000, 'b'), true, {}, 1000).ok());
    ASSERT_TRUE(s->put_snapshot_chunk(7, 3, 0, 0, 2, "half", {}, true).ok());
    ASSERT_TRUE(s->put_snapshot(8, 1, 0, "other job", true).ok());
  }
  overwrite(checkpoint_snapshot_key(7, 2, 0) + "/00000003", [](std::string& v) { v.clear(); });
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir_, &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(
        db->Delete(leveldb::WriteOptions(), checkpoint_snapshot_key(7, 2, 0) + "/00000004").ok());
  }
  auto count_keys = [&](const std::string& prefix) {
    leveldb::DB* raw = nullptr;
    EXPECT_TRUE(leveldb::DB::Open(leveldb::Options(), dir_, &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
    size_t n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    return n;
  };
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    auto broken = s->snapshot(7, 2, 0);
    ASSERT_FALSE(broken.ok());
    EXPECT_EQ(broken.error().code(), errc::io_error);
    EXPECT_TRUE(mentions(broken.error(), "checkpoint 2 of job 7, task 0: chunk 4"))
        << broken.error().message();
    ASSERT_TRUE(s->drop_job(7).ok());
  }
  EXPECT_EQ(count_keys("snap/"), 1u);  // job 8's
  EXPECT_EQ(count_keys("idx/"), 1u);
}

// Savepoint ids: "JOB-CHECKPOINT" in decimal, and nothing else.
TEST(savepoint_id, formats_and_parses) {
  EXPECT_EQ(savepoint_id(3, 17), "3-17");
  for (auto [job, cp] : {std::pair<uint64_t, uint64_t>{3, 17}, {0, 0}, {UINT64_MAX, 1}}) {
    auto ref = parse_savepoint_id(savepoint_id(job, cp));
    ASSERT_TRUE(ref.ok()) << ref.error().message();
    EXPECT_EQ(ref->job_id, job);
    EXPECT_EQ(ref->checkpoint, cp);
  }
}

// Each malformed id is refused with a message that shows the expected form.
TEST(savepoint_id, rejects_anything_else) {
  for (const char* bad :
       {"", "3", "3-", "-17", "3--17", "3-17-2", "a-1", "3-17x", " 3-17", "3-17 ", "+3-17", "03-17",
        "3-017", "3_17", "0x3-17", "18446744073709551616-1", "3-99999999999999999999"}) {
    auto ref = parse_savepoint_id(bad);
    ASSERT_FALSE(ref.ok()) << "'" << bad << "'";
    EXPECT_EQ(ref.error().code(), errc::invalid_argument);
    EXPECT_TRUE(mentions(ref.error(), "expected JOB-CHECKPOINT")) << ref.error().message();
    EXPECT_TRUE(mentions(ref.error(), "'"s + bad + "'")) << ref.error().message();
  }
}

// A snapshot index sealed around `body` (the layout of checkpoint_record.hpp).
std::string sealed_index(const std::string& body) {
  return seal({'N', 'G', 'S', 'I'}, 1, body.data(), body.size());
}

std::string le(uint64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

// An index reads back as written, and its bytes are the only ones that read as it.
TEST(snapshot_index, round_trips) {
  const snapshot_index x{3, true, {2, 5}};
  auto bytes = encode_snapshot_index(x);
  EXPECT_EQ(bytes, sealed_index(le(3, 4) + le(1, 1) + le(2, 4) + le(2, 8) + le(5, 8)));
  auto back = decode_snapshot_index(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->chunks, 3u);
  EXPECT_TRUE(back->whole);
  EXPECT_EQ(back->needs, (std::vector<uint64_t>{2, 5}));
}

// Regression (checkpoint_record fuzz target): an index with a correct checksum
// but a flag other than 0 or 1, or needs that do not ascend, was read (the flag
// as "not whole"); such an index is never written and is damaged.
TEST(snapshot_index, refuses_what_is_never_written) {
  for (const auto& body :
       {le(1, 4) + le(0xd5, 1) + le(0, 4), le(1, 4) + le(1, 1) + le(2, 4) + le(5, 8) + le(2, 8),
        le(1, 4) + le(1, 1) + le(2, 4) + le(5, 8) + le(5, 8)}) {
    auto x = decode_snapshot_index(sealed_index(body));
    ASSERT_FALSE(x.ok());
    EXPECT_EQ(x.error().code(), errc::io_error);
    EXPECT_NE(x.error().message().find("damaged snapshot index"), std::string::npos);
  }
}

}  // namespace
}  // namespace nagare
