// The metadata store and damage: verify() reads everything and names what is
// damaged; salvage_from() keeps what can still be read of a damaged copy and
// leaves the copy as it was; libraries stored under the hash of builds before
// SHA-256 are upgraded after their bytes are checked.
#include <gtest/gtest.h>

#include "process.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "damage_files.hpp"
#include "job_files.hpp"
#include "metadata_store.hpp"

namespace nagare {
namespace {

namespace fs = std::filesystem;

bool mentions(const status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

// A job record's stand-in: distinct bytes per id, a few hundred of them.
std::string record_bytes(uint64_t id) {
  return "record " + std::to_string(id) + std::string(400, static_cast<char>('a' + id % 26));
}

class metadata_damage_test : public ::testing::Test {
 protected:
  std::unique_ptr<metadata_store> open_store() {
    auto s = metadata_store::open(tmp_.path());
    EXPECT_TRUE(s.ok()) << s.error().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  // 100 job records and two libraries, then everything moved into table files.
  std::vector<std::string> fill_and_compact() {
    {
      auto s = open_store();
      if (!s) return {};
      for (uint64_t id = 1; id <= 100; ++id) EXPECT_TRUE(s->put_job(id, record_bytes(id)).ok());
      EXPECT_TRUE(s->put_library(library_hash(library_a), library_a).ok());
      EXPECT_TRUE(s->put_library(legacy_library_hash(library_b), library_b).ok());
    }
    return testing::compact_leveldb(metadata_store::directory(tmp_.path()));
  }
  testing::temp_dir tmp_;
  const std::string library_a = std::string(5000, 'A') + "library a";
  const std::string library_b = std::string(5000, 'B') + "library b";
};

// A healthy store verifies, with libraries under either form of hash.
TEST_F(metadata_damage_test, healthy_store_verifies) {
  fill_and_compact();
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto st = s->verify();
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(s->jobs().value().size(), 100u);
}

// Library bytes that do not match the hash they are stored under are damage.
TEST_F(metadata_damage_test, library_under_a_wrong_hash_is_corruption) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto wrong = library_hash("other bytes");
  ASSERT_TRUE(s->put_library(wrong, library_a).ok());
  auto st = s->verify();
  EXPECT_EQ(st.code(), errc::corruption);
  EXPECT_TRUE(mentions(st, wrong)) << st.message();
}

// A byte flipped in a table file is found by verify(), which names the file,
// and by jobs(); opening the store alone does not read the tables.
TEST_F(metadata_damage_test, damaged_table_is_found_and_named) {
  auto tables = fill_and_compact();
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_EQ(testing::flip_bytes(tables[0], {fs::file_size(tables[0]) / 3}), 1u);
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto st = s->verify();
  EXPECT_EQ(st.code(), errc::corruption);
  EXPECT_TRUE(mentions(st, "checksum mismatch")) << st.message();
  EXPECT_TRUE(mentions(st, tables[0])) << st.message();
  EXPECT_EQ(s->jobs().error().code(), errc::corruption);
}

// Salvaging a table damaged in one block keeps the other records (their bytes
// exactly) and the libraries, loses some records, and leaves the damaged
// directory byte for byte as it was.
TEST_F(metadata_damage_test, salvage_keeps_what_can_be_read) {
  auto tables = fill_and_compact();
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_EQ(testing::flip_bytes(tables[0], {100}), 1u);  // the first block: the lowest job ids
  const auto damaged = tmp_ / "damaged";
  fs::rename(metadata_store::directory(tmp_.path()), damaged);
  std::map<std::string, std::string> before;
  for (const auto& e : fs::directory_iterator(damaged))
    before[e.path().filename()] = testing::file_bytes(e.path());

  auto s = open_store();  // a fresh metadata directory
  ASSERT_NE(s, nullptr);
  auto salvaged = s->salvage_from(damaged);
  ASSERT_TRUE(salvaged.ok()) << salvaged.error().message();
  EXPECT_GT(salvaged->jobs.size(), 0u);
  EXPECT_LT(salvaged->jobs.size(), 100u);
  EXPECT_EQ(salvaged->jobs.count(1), 0u) << "job 1 was in the damaged block";
  for (const auto& [id, bytes] : salvaged->jobs) EXPECT_EQ(bytes, record_bytes(id)) << id;
  EXPECT_EQ(salvaged->libraries.size(), 2u);
  EXPECT_EQ(s->library(library_hash(library_a)).value(), library_a);
  EXPECT_EQ(s->library(legacy_library_hash(library_b)).value(), library_b);
  EXPECT_TRUE(s->jobs().value().empty()) << "records are the caller's to write";

  std::map<std::string, std::string> after;
  for (const auto& e : fs::directory_iterator(damaged))
    after[e.path().filename()] = testing::file_bytes(e.path());
  EXPECT_EQ(after, before);
  EXPECT_FALSE(fs::exists(damaged + ".repair"));
}

// A table damaged in every block leaves nothing to keep, and that is no error.
TEST_F(metadata_damage_test, salvage_of_a_wholly_damaged_table_keeps_nothing) {
  auto tables = fill_and_compact();
  ASSERT_EQ(tables.size(), 1u);
  testing::flip_bytes(tables[0], testing::every(tables[0], 8));
  const auto damaged = tmp_ / "damaged";
  fs::rename(metadata_store::directory(tmp_.path()), damaged);
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto salvaged = s->salvage_from(damaged);
  ASSERT_TRUE(salvaged.ok()) << salvaged.error().message();
  EXPECT_TRUE(salvaged->jobs.empty());
  EXPECT_TRUE(salvaged->libraries.empty());
}

// A library under a hash of an earlier build is checked and stored under its
// SHA-256 as well; wrong bytes are corruption, a missing one not_found.
TEST_F(metadata_damage_test, legacy_library_is_upgraded) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  auto legacy = legacy_library_hash(library_a);
  ASSERT_TRUE(s->put_library(legacy, library_a).ok());
  auto now = s->upgrade_legacy_library(legacy);
  ASSERT_TRUE(now.ok()) << now.error().message();
  EXPECT_EQ(now.value(), library_hash(library_a));
  EXPECT_EQ(s->library(now.value()).value(), library_a);

  auto wrong = legacy_library_hash("something else");
  ASSERT_TRUE(s->put_library(wrong, library_b).ok());
  EXPECT_EQ(s->upgrade_legacy_library(wrong).error().code(), errc::corruption);
  EXPECT_EQ(s->upgrade_legacy_library(legacy_library_hash("absent")).error().code(),
            errc::not_found);
}

}  // namespace
}  // namespace nagare
