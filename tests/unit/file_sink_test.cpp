// The file sink's two-phase commit, driven directly through the sink<T>
// calls the runtime makes (open, recover, write, pre_commit, pending, commit,
// close) against a real temp directory. A crash is a writer dropped without
// close(); a restart is a new writer that recovers from the pending() entries
// of the checkpoint restored from. Every case compares the visible lines with
// the records the test itself says were written, each exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nagare/sink.hpp"
#include "owned_ptr.hpp"
#include "process.hpp"

namespace nagare {
namespace {

namespace fs = std::filesystem;
using strings = std::vector<std::string>;
using writer_ptr = std::unique_ptr<sink<std::string>>;

#define ASSERT_OK(expr)                                      \
  do {                                                       \
    auto st_ = (expr);                                       \
    ASSERT_TRUE(st_.ok()) << #expr << ": " << st_.message(); \
  } while (0)

subtask_info where(uint32_t subtask, uint32_t parallelism, uint64_t restored = 0,
                   uint32_t attempt = 0) {
  subtask_info info;
  info.task_name =
      "write (" + std::to_string(subtask + 1) + "/" + std::to_string(parallelism) + ")";
  info.subtask = subtask;
  info.parallelism = parallelism;
  info.restored_checkpoint = restored;
  info.attempt = attempt;
  return info;
}

// The record `i` of the stream that old subtask `origin` wrote.
std::string record(uint32_t origin, int i) {
  return "o" + std::to_string(origin) + "-r" + std::to_string(i);
}

// The records [from, to) of `origin`, sorted: what the test expects to see.
strings records(uint32_t origin, int from, int to) {
  strings out;
  for (int i = from; i < to; ++i) out.push_back(record(origin, i));
  std::sort(out.begin(), out.end());
  return out;
}

strings merged(strings a, const strings& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  return a;
}

class file_sink_test : public ::testing::Test {
 protected:
  testing::temp_dir tmp_;
  std::string dir_ = tmp_ / "out";

  // A new writer, opened and recovered as the runtime does before any record.
  writer_ptr start(const subtask_info& info, const strings& entries = {},
                   uint32_t previous_parallelism = 0) {
    auto w = file_sink<std::string>(dir_).create();
    auto st = w->open(info);
    EXPECT_TRUE(st.ok()) << st.message();
    st = w->recover(entries, previous_parallelism, info);
    EXPECT_TRUE(st.ok()) << st.message();
    return detail::to_unique(std::move(w));
  }

  static void write(sink<std::string>& w, uint32_t origin, int from, int to) {
    for (int i = from; i < to; ++i) {
      auto st = w.write(record(origin, i));
      ASSERT_TRUE(st.ok()) << st.message();
    }
  }

  static strings snapshot(const sink<std::string>& w) {
    strings out;
    w.pending(out);
    return out;
  }

  // The result as a reader of the output directory sees it, sorted.
  strings visible() const {
    if (!fs::exists(dir_)) return {};
    auto lines = testing::read_result_lines(dir_);
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  // The names of the sink's hidden work files.
  strings work_files() const {
    strings out;
    if (fs::exists(dir_ + "/_nagare"))
      for (const auto& e : fs::directory_iterator(dir_ + "/_nagare"))
        out.push_back(e.path().filename().string());
    return out;
  }
};

// Written records stay invisible after their barrier until the checkpoint
// completes, and a commit shows exactly the records before the barrier.
TEST_F(file_sink_test, pending_data_is_invisible_until_commit) {
  auto w = start(where(0, 1));
  write(*w, 0, 0, 10);
  EXPECT_TRUE(visible().empty());
  ASSERT_OK(w->pre_commit(1));
  EXPECT_TRUE(visible().empty());
  EXPECT_EQ(snapshot(*w).size(), 1u);
  write(*w, 0, 10, 15);
  ASSERT_OK(w->commit(1));
  EXPECT_EQ(visible(), records(0, 0, 10));
  EXPECT_TRUE(snapshot(*w).empty());
  EXPECT_TRUE(fs::exists(dir_ + "/part-00000-0000000001"));
}

// A barrier with nothing written since the previous one opens no transaction.
TEST_F(file_sink_test, barrier_without_writes_opens_no_transaction) {
  auto w = start(where(0, 1));
  ASSERT_OK(w->pre_commit(1));
  EXPECT_TRUE(snapshot(*w).empty());
  ASSERT_OK(w->commit(1));
  write(*w, 0, 0, 3);
  ASSERT_OK(w->pre_commit(2));
  ASSERT_OK(w->pre_commit(3));
  EXPECT_EQ(snapshot(*w).size(), 1u);
  ASSERT_OK(w->commit(3));
  EXPECT_EQ(visible(), records(0, 0, 3));
}

// One commit covers every earlier checkpoint whose completion was missed.
TEST_F(file_sink_test, commit_covers_earlier_checkpoints) {
  auto w = start(where(0, 1));
  write(*w, 0, 0, 5);
  ASSERT_OK(w->pre_commit(1));
  write(*w, 0, 5, 9);
  ASSERT_OK(w->pre_commit(2));
  write(*w, 0, 9, 12);
  ASSERT_OK(w->pre_commit(3));
  EXPECT_EQ(snapshot(*w).size(), 3u);
  ASSERT_OK(w->commit(2));
  EXPECT_EQ(visible(), records(0, 0, 9));
  EXPECT_EQ(snapshot(*w).size(), 1u);
  ASSERT_OK(w->commit(3));
  EXPECT_EQ(visible(), records(0, 0, 12));
}

// Committing twice, and recovering transactions an earlier attempt already
// committed, neither fails nor duplicates.
TEST_F(file_sink_test, commit_is_idempotent) {
  auto w = start(where(0, 1));
  write(*w, 0, 0, 20);
  ASSERT_OK(w->pre_commit(1));
  auto snap = snapshot(*w);
  ASSERT_OK(w->commit(1));
  ASSERT_OK(w->commit(1));
  w.reset();  // crash after the commit
  auto again = start(where(0, 1, 1, 1), snap, 1);
  auto twice = start(where(0, 1, 1, 2), snap, 1);
  EXPECT_EQ(visible(), records(0, 0, 20));
}

// A crash after checkpoint 2 was durable but before its completion reached
// the sink: the restart commits 2, discards the sealed-but-incomplete 3 and
// the unsealed rest, and the replay from 2's position fills the gap once.
TEST_F(file_sink_test, crash_before_commit_recovers_exactly_once) {
  auto w = start(where(0, 1));
  write(*w, 0, 0, 100);
  ASSERT_OK(w->pre_commit(1));
  ASSERT_OK(w->commit(1));
  write(*w, 0, 100, 200);
  ASSERT_OK(w->pre_commit(2));
  auto snap2 = snapshot(*w);
  write(*w, 0, 200, 250);
  ASSERT_OK(w->pre_commit(3));
  write(*w, 0, 250, 260);
  w.reset();  // crash: checkpoint 3 never completes
  EXPECT_EQ(visible(), records(0, 0, 100));

  auto r = start(where(0, 1, 2, 1), snap2, 1);
  EXPECT_EQ(visible(), records(0, 0, 200));
  write(*r, 0, 200, 300);  // the replay from checkpoint 2's source position
  ASSERT_OK(r->pre_commit(4));
  ASSERT_OK(r->commit(4));
  ASSERT_OK(r->close());
  EXPECT_EQ(visible(), records(0, 0, 300));
  EXPECT_TRUE(work_files().empty());
}

// A restart that falls back to an older checkpoint removes the results that
// later checkpoints had committed: the replay writes them again.
TEST_F(file_sink_test, fallback_to_older_checkpoint_discards_later_results) {
  auto w = start(where(0, 1));
  write(*w, 0, 0, 50);
  ASSERT_OK(w->pre_commit(1));
  auto snap1 = snapshot(*w);
  ASSERT_OK(w->commit(1));
  write(*w, 0, 50, 100);
  ASSERT_OK(w->pre_commit(2));
  ASSERT_OK(w->commit(2));
  write(*w, 0, 100, 150);
  ASSERT_OK(w->pre_commit(3));
  ASSERT_OK(w->commit(3));
  w.reset();
  EXPECT_EQ(visible(), records(0, 0, 150));

  auto r = start(where(0, 1, 1, 1), snap1, 1);
  EXPECT_EQ(visible(), records(0, 0, 50));
  write(*r, 0, 50, 150);
  ASSERT_OK(r->pre_commit(4));
  ASSERT_OK(r->commit(4));
  EXPECT_EQ(visible(), records(0, 0, 150));
}

// A restart from the beginning discards everything its own subtask wrote,
// committed or not, and nothing of the other subtasks.
TEST_F(file_sink_test, restart_from_beginning_discards_own_files_only) {
  auto a = start(where(0, 2));
  auto b = start(where(1, 2));
  write(*a, 0, 0, 10);
  write(*b, 1, 0, 10);
  ASSERT_OK(a->pre_commit(1));
  ASSERT_OK(b->pre_commit(1));
  ASSERT_OK(a->commit(1));
  ASSERT_OK(b->commit(1));
  write(*a, 0, 10, 15);
  write(*b, 1, 10, 15);
  ASSERT_OK(b->pre_commit(2));
  a.reset();
  b.reset();
  EXPECT_EQ(visible(), merged(records(0, 0, 10), records(1, 0, 10)));

  auto a2 = start(where(0, 2, 0, 1));
  EXPECT_EQ(visible(), records(1, 0, 10));
  for (const auto& name : work_files()) EXPECT_EQ(name.rfind("part-00001", 0), 0u) << name;
  auto b2 = start(where(1, 2, 0, 1));
  EXPECT_TRUE(visible().empty());
  EXPECT_TRUE(work_files().empty());
}

// Work files that no restore cleans up (an attempt aborted by a full disk in a
// job that then failed for good, and a new job started over the directory)
// are gone after the new writer's first commit; its own files stay.
TEST_F(file_sink_test, first_commit_removes_strays_of_other_writers) {
  auto dead = start(where(0, 2));
  write(*dead, 0, 0, 10);
  ASSERT_OK(dead->pre_commit(1));  // a pending file
  write(*dead, 0, 10, 15);         // an in-progress file
  auto other = start(where(1, 2));
  write(*other, 1, 0, 5);  // subtask 1's: not subtask 0's to remove
  dead.reset();
  ASSERT_EQ(work_files().size(), 3u);

  auto w = file_sink<std::string>(dir_).create();  // a fresh job: opened, not restored
  ASSERT_OK(w->open(where(0, 2, 0, 0)));
  write(*w, 0, 100, 110);
  ASSERT_OK(w->pre_commit(1));
  write(*w, 0, 110, 112);
  ASSERT_OK(w->pre_commit(2));
  ASSERT_OK(w->commit(1));
  EXPECT_EQ(visible(), records(0, 100, 110));
  auto left = work_files();
  std::sort(left.begin(), left.end());
  ASSERT_EQ(left.size(), 2u) << left[0];
  EXPECT_EQ(left[0].rfind("part-00000-0000000002.", 0), 0u) << left[0];  // its own, pending
  EXPECT_EQ(left[1].rfind("part-00001.", 0), 0u) << left[1];             // the other subtask's
  ASSERT_OK(w->commit(2));
  EXPECT_EQ(visible(), records(0, 100, 112));
}

// Rescaling: two old subtasks crash after checkpoint 2 was durable (its
// completion not delivered), with a sealed checkpoint 3 and unsealed data.
// New subtask s takes over old subtask p when p % parallelism == s: each
// recover commits exactly its share and leaves the others' files alone; the
// replay (old subtask p's stream from checkpoint 2 on, written by its new
// owner) then completes every stream exactly once.
class file_sink_rescale : public file_sink_test, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(file_sink_rescale, each_transaction_committed_once) {
  const uint32_t old_parallelism = 2, parallelism = GetParam();
  strings entries;
  for (uint32_t p = 0; p < old_parallelism; ++p) {
    auto w = start(where(p, old_parallelism));
    write(*w, p, 0, 30);
    ASSERT_OK(w->pre_commit(1));
    ASSERT_OK(w->commit(1));
    write(*w, p, 30, 60);
    ASSERT_OK(w->pre_commit(2));
    auto snap = snapshot(*w);
    entries.insert(entries.end(), snap.begin(), snap.end());
    write(*w, p, 60, 80);
    ASSERT_OK(w->pre_commit(3));
    write(*w, p, 80, 90);
  }  // every old writer crashes here
  EXPECT_EQ(visible(), merged(records(0, 0, 30), records(1, 0, 30)));

  std::vector<writer_ptr> writers;
  std::set<uint32_t> recovered;  // old subtasks whose new owner has recovered
  for (uint32_t s = 0; s < parallelism; ++s) {
    writers.push_back(start(where(s, parallelism, 2, 1), entries, old_parallelism));
    for (uint32_t p = 0; p < old_parallelism; ++p)
      if (p % parallelism == s) recovered.insert(p);
    strings expected;
    for (uint32_t p = 0; p < old_parallelism; ++p)
      expected = merged(expected, records(p, 0, recovered.count(p) ? 60 : 30));
    EXPECT_EQ(visible(), expected) << "after new subtask " << s << " recovered";
  }
  for (uint32_t p = 0; p < old_parallelism; ++p) write(*writers[p % parallelism], p, 60, 120);
  for (auto& w : writers) ASSERT_OK(w->pre_commit(4));
  for (auto& w : writers) ASSERT_OK(w->commit(4));
  for (auto& w : writers) ASSERT_OK(w->close());
  EXPECT_EQ(visible(), merged(records(0, 0, 120), records(1, 0, 120)));
  EXPECT_TRUE(work_files().empty());
}

INSTANTIATE_TEST_SUITE_P(to, file_sink_rescale, ::testing::Values(1u, 3u));

// A lingering writer of an earlier attempt, or a second writer of the same
// subtask and attempt, never writes into the other's files.
TEST_F(file_sink_test, concurrent_writers_of_one_subtask_never_share_a_file) {
  auto zombie = start(where(0, 1, 0, 0));
  auto current = start(where(0, 1, 0, 0));
  write(*zombie, 7, 0, 10);
  write(*current, 0, 0, 10);
  ASSERT_OK(zombie->pre_commit(1));
  ASSERT_OK(current->pre_commit(2));
  write(*zombie, 7, 10, 20);
  write(*current, 0, 10, 20);
  ASSERT_OK(zombie->pre_commit(3));
  ASSERT_OK(current->pre_commit(4));
  EXPECT_EQ(work_files().size(), 4u);
  ASSERT_OK(current->commit(4));
  EXPECT_EQ(visible(), records(0, 0, 20));
}

// close() commits nothing: a job commits through checkpoints only (the last
// one at the end of its input), so a closed writer's data without one is not
// part of the result.
TEST_F(file_sink_test, close_without_any_barrier_commits_nothing) {
  auto w = start(where(0, 1));
  write(*w, 0, 0, 10);
  ASSERT_OK(w->close());
  EXPECT_TRUE(visible().empty());
}

// Once barriers flow, close() commits nothing: what follows the last barrier
// is not part of the result (a stopped job's successor writes it again), and
// its in-progress work file is removed rather than left behind.
TEST_F(file_sink_test, close_after_a_barrier_commits_nothing_more) {
  auto w = start(where(0, 1));
  write(*w, 0, 0, 10);
  ASSERT_OK(w->pre_commit(1));
  ASSERT_OK(w->commit(1));
  write(*w, 0, 10, 20);
  ASSERT_OK(w->close());
  EXPECT_EQ(visible(), records(0, 0, 10));
  EXPECT_TRUE(work_files().empty());
}

// The output directory may hold the sink's hidden work files, never results.
TEST_F(file_sink_test, validate_refuses_results_but_not_hidden_files) {
  file_sink<std::string> spec(dir_);
  ASSERT_OK(spec.validate());
  auto w = start(where(0, 1));
  write(*w, 0, 0, 3);
  ASSERT_OK(w->pre_commit(1));
  write(*w, 0, 3, 4);
  ASSERT_OK(spec.validate());  // a pending and an in-progress file only
  ASSERT_OK(w->commit(1));
  auto st = spec.validate();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("part-00000-0000000001"), std::string::npos) << st.message();
}

// A snapshot entry that does not decode, or that names a checkpoint after the
// one restored from, is an error rather than silently ignored.
TEST_F(file_sink_test, recover_rejects_inconsistent_entries) {
  auto w = start(where(0, 1));
  write(*w, 0, 0, 3);
  ASSERT_OK(w->pre_commit(5));
  auto snap = snapshot(*w);
  w.reset();

  auto info = where(0, 1, 4, 1);
  auto r = file_sink<std::string>(dir_).create();
  ASSERT_OK(r->open(info));
  EXPECT_EQ(r->recover(snap, 1, info).code(), errc::io_error);
  EXPECT_EQ(r->recover({"\x01garbage"}, 1, info).code(), errc::io_error);
  EXPECT_TRUE(visible().empty());
}

// A pending file lost outside the sink (and never committed) fails the commit.
TEST_F(file_sink_test, commit_of_a_lost_pending_file_fails) {
  auto w = start(where(0, 1));
  write(*w, 0, 0, 3);
  ASSERT_OK(w->pre_commit(1));
  for (const auto& name : work_files()) fs::remove(dir_ + "/_nagare/" + name);
  auto st = w->commit(1);
  EXPECT_EQ(st.code(), errc::io_error);
  EXPECT_NE(st.message().find("part-00000-0000000001"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace nagare
