// What a coordinator starts from (coordinator_books.hpp) and how it recovers
// from damaged metadata (metadata_recovery.hpp): damage refuses the start with
// a message that says what and how to recover; --recover-metadata keeps what
// can be read, rebuilds jobs from the checkpoint store, reports what it lost;
// and the next job id is above every id seen anywhere.
#include "checkpoint_store_fixture.hpp"

#include <filesystem>

#include "coordinator_books.hpp"
#include "damage_files.hpp"
#include "metadata_recovery.hpp"

namespace nagare {
namespace {

namespace fs = std::filesystem;
using testing::mentions;

job_record record(uint64_t id, job_state state, const std::string& hash) {
  job_submission sub;
  sub.name = "job" + std::to_string(id);
  sub.library_hash = hash;
  sub.parallelism = 2;
  auto r = make_job_record(id, sub);
  r.state = state;
  return r;
}

bool any_mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

class metadata_recovery_test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = checkpoint_store::open(data_ + "/checkpoints");
    ASSERT_TRUE(c.ok()) << c.error().message();
    checkpoints_ = std::move(c.value());
  }
  std::unique_ptr<metadata_store> open_store() {
    auto s = metadata_store::open(data_);
    EXPECT_TRUE(s.ok()) << s.error().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  void put(metadata_store& s, const job_record& r) {
    ASSERT_TRUE(s.put_job(r.id, encode_job_record(r)).ok());
  }
  // A complete checkpoint (or savepoint) of a job in the checkpoint store.
  void checkpoint(uint64_t job, uint64_t id, bool savepoint) {
    for (uint32_t t = 0; t < 2; ++t)
      ASSERT_TRUE(
          checkpoints_->put_snapshot(job, id, t, testing::snapshot_bytes(job, id, t), true).ok());
    ASSERT_TRUE(checkpoints_->complete(testing::make_record(job, id, savepoint)).ok());
  }
  result<coordinator_books> books() {
    auto s = open_store();
    if (!s) return status(errc::internal, "no store");
    return read_books(*s, *checkpoints_, mark_, data_);
  }
  testing::temp_dir tmp_;
  std::string data_ = tmp_.path();
  std::unique_ptr<checkpoint_store> checkpoints_;
  job_id_mark mark_{job_id_mark::file_of(tmp_.path())};
  const std::string library_ = std::string(3000, 'L') + "a job library";
};

// Readable records come back decoded; the next id is one above the highest.
TEST_F(metadata_recovery_test, healthy_books_are_read) {
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->put_library(library_hash(library_), library_).ok());
    put(*s, record(1, job_state::finished, library_hash(library_)));
    put(*s, record(3, job_state::failed, library_hash(library_)));
  }
  auto b = books();
  ASSERT_TRUE(b.ok()) << b.error().message();
  ASSERT_EQ(b->records.size(), 2u);
  EXPECT_EQ(b->records.at(3).name, "job3");
  EXPECT_EQ(b->next_job_id, 4u);
}

// The next id is above the checkpoint store's jobs and the job id mark when
// they are higher than every record: ids never repeat.
TEST_F(metadata_recovery_test, next_id_is_above_every_source) {
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    put(*s, record(2, job_state::finished, "linked:x"));
  }
  checkpoint(9, 1, /*savepoint=*/true);
  EXPECT_EQ(books().value().next_job_id, 10u);
  ASSERT_TRUE(mark_.raise_to(14).ok());
  EXPECT_EQ(books().value().next_job_id, 15u);
}

// A record that does not decode refuses the start: corruption naming the job,
// the directory and the way out.
TEST_F(metadata_recovery_test, undecodable_record_refuses_the_start) {
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    put(*s, record(1, job_state::finished, "linked:x"));
    ASSERT_TRUE(s->put_job(4, "not a flatbuffer at all").ok());
  }
  auto b = books();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code(), errc::corruption);
  EXPECT_TRUE(mentions(b.error(), "the record of job 4 cannot be decoded")) << b.error().message();
  EXPECT_TRUE(mentions(b.error(), data_ + "/metadata is damaged")) << b.error().message();
  EXPECT_TRUE(mentions(b.error(), "--recover-metadata")) << b.error().message();
  EXPECT_EQ(b.error().message().find('\n'), std::string::npos);
}

// A record naming a library by the hash of an earlier build is pointed at the
// library's SHA-256, under which the library is now stored too.
TEST_F(metadata_recovery_test, legacy_library_hashes_are_upgraded) {
  const auto legacy = legacy_library_hash(library_);
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->put_library(legacy, library_).ok());
    put(*s, record(1, job_state::running, legacy));
  }
  auto b = books();
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(b->records.at(1).job.library_hash, library_hash(library_));
  EXPECT_EQ(b->records.at(1).state, job_state::running);
  EXPECT_TRUE(any_mentions(b->notes, legacy));
  auto s = open_store();
  EXPECT_EQ(s->library(library_hash(library_)).value(), library_);
}

// A running job whose library is not stored cannot resume: it is FAILED with
// the reason; an ended one stays as it ended.
TEST_F(metadata_recovery_test, running_job_without_its_library_fails) {
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    put(*s, record(1, job_state::running, library_hash("gone")));
    put(*s, record(2, job_state::finished, library_hash("gone")));
  }
  auto b = books();
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(b->records.at(1).state, job_state::failed);
  EXPECT_NE(b->records.at(1).reason.find("is not stored"), std::string::npos);
  EXPECT_EQ(b->records.at(2).state, job_state::finished);
}

// Damaged tables: without --recover-metadata the start is refused and nothing
// changes; with it the damaged copy is moved aside, jobs the checkpoint store
// knows are rebuilt, what was lost is named, and the next id is above all.
// Every block is damaged, so nothing of the records survives.
TEST_F(metadata_recovery_test, recover_metadata_rebuilds_from_the_checkpoint_store) {
  {
    auto s = open_store();
    ASSERT_NE(s, nullptr);
    for (uint64_t id = 1; id <= 6; ++id) put(*s, record(id, job_state::finished, "linked:x"));
  }
  ASSERT_TRUE(mark_.raise_to(6).ok());
  checkpoint(5, 2, /*savepoint=*/true);
  checkpoint(5, 3, /*savepoint=*/false);
  checkpoint(6, 7, /*savepoint=*/false);
  for (const auto& t : testing::compact_leveldb(metadata_store::directory(data_)))
    testing::flip_bytes(t, testing::every(t, 8));

  auto refused = open_metadata(data_, *checkpoints_, mark_, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), errc::corruption);
  EXPECT_TRUE(mentions(refused.error(), "--recover-metadata")) << refused.error().message();
  auto entries = std::distance(fs::directory_iterator(data_), fs::directory_iterator());
  EXPECT_EQ(entries, 3) << "metadata, checkpoints, last-job-id: nothing moved";

  auto opened = open_metadata(data_, *checkpoints_, mark_, true);
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  const auto& report = opened->report;
  EXPECT_TRUE(
      any_mentions(report, "moved the damaged metadata to " + data_ + "/metadata.damaged-"));
  EXPECT_TRUE(any_mentions(report, "rebuilt job 5 from the checkpoint store (savepoints 5-2)"));
  EXPECT_TRUE(any_mentions(report,
                           "rebuilt job 6 from the checkpoint store (latest complete "
                           "checkpoint 7)"));
  EXPECT_TRUE(any_mentions(report, "lost the records of jobs 1-4"));
  ASSERT_EQ(opened->books.records.size(), 2u);
  EXPECT_EQ(opened->books.records.at(5).state, job_state::failed);
  EXPECT_EQ(opened->books.records.at(5).name, "(record lost)");
  EXPECT_EQ(opened->books.next_job_id, 7u);
  bool aside = false;
  for (const auto& e : fs::directory_iterator(data_))
    aside |= e.path().filename().string().rfind("metadata.damaged-", 0) == 0;
  EXPECT_TRUE(aside);

  // The rebuilt records were written: a plain start now reads them.
  opened->store.reset();
  auto again = open_metadata(data_, *checkpoints_, mark_, false);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->books.records.size(), 2u);
  EXPECT_EQ(again->books.next_job_id, 7u);
}

// On readable metadata --recover-metadata salvages nothing, but still gives a
// record to a job that only the checkpoint store knows (metadata deleted).
TEST_F(metadata_recovery_test, recover_on_readable_metadata_only_rebuilds) {
  checkpoint(3, 1, /*savepoint=*/true);
  auto opened = open_metadata(data_, *checkpoints_, mark_, true);
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  EXPECT_TRUE(any_mentions(opened->report, "nothing to salvage"));
  EXPECT_TRUE(any_mentions(opened->report, "rebuilt job 3"));
  EXPECT_TRUE(any_mentions(opened->report, "lost the records of jobs 1-2"));
  EXPECT_EQ(opened->books.next_job_id, 4u);
  for (const auto& e : fs::directory_iterator(data_))
    EXPECT_EQ(e.path().filename().string().rfind("metadata.damaged-", 0), std::string::npos);
}

}  // namespace
}  // namespace nagare
