// The coordinator's metadata store: libraries by content hash and job records
// by id, in memory and in LevelDB, and what survives reopening the directory.
#include <gtest/gtest.h>

#include "process.hpp"

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <leveldb/db.h>

#include "metadata_store.hpp"

namespace nagare {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

bool mentions(const status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

// Bytes a text-only store would mangle: NULs, high bytes, no terminator.
const std::string binary_bytes = "\177ELF\0\0\x01\xff\xfe"s + std::string(1000, '\0') + "end"s;

class metadata_store_test : public ::testing::TestWithParam<bool> {
 protected:
  testing::temp_dir tmp_;  // removed with its contents after the test
  // The parameter picks the backend: true is LevelDB in the temp dir, false is in memory.
  std::string store_dir() const { return GetParam() ? dir_ : std::string(); }
  std::unique_ptr<metadata_store> open_store() {
    auto s = metadata_store::open(store_dir());
    EXPECT_TRUE(s.ok()) << s.error().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  std::string dir_ = tmp_.path();
};

// A library's bytes come back unchanged under its hash, NULs and high bytes included.
TEST_P(metadata_store_test, library_round_trips) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_library("aaaa", binary_bytes).ok());
  ASSERT_TRUE(store->put_library("bbbb", "other").ok());
  auto got = store->library("aaaa");
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got.value(), binary_bytes);
  auto other = store->library("bbbb");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other.value(), "other");
}

// Asking for a hash nobody stored is not_found, and the message names the hash.
TEST_P(metadata_store_test, unknown_library_is_not_found) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_library("aaaa", "bytes").ok());
  auto got = store->library("0123456789abcdef");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), errc::not_found);
  EXPECT_TRUE(mentions(got.error(), "0123456789abcdef")) << got.error().message();
}

// Job records come back unchanged, and writing an id again replaces its record.
TEST_P(metadata_store_test, job_records_round_trip_and_overwrite) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_job(7, binary_bytes).ok());
  ASSERT_TRUE(store->put_job(8, "first").ok());
  ASSERT_TRUE(store->put_job(8, "second").ok());
  auto jobs = store->jobs();
  ASSERT_TRUE(jobs.ok()) << jobs.error().message();
  EXPECT_EQ(jobs.value(), (std::map<uint64_t, std::string>{{7, binary_bytes}, {8, "second"}}));
}

// jobs() orders by numeric id (1, 2, 10), not by the text of the id (1, 10, 2).
TEST_P(metadata_store_test, jobs_are_ordered_by_id) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_job(2, "two").ok());
  ASSERT_TRUE(store->put_job(10, "ten").ok());
  ASSERT_TRUE(store->put_job(1, "one").ok());
  auto jobs = store->jobs();
  ASSERT_TRUE(jobs.ok()) << jobs.error().message();
  std::vector<std::pair<uint64_t, std::string>> seen(jobs->begin(), jobs->end());
  EXPECT_EQ(seen,
            (std::vector<std::pair<uint64_t, std::string>>{{1, "one"}, {2, "two"}, {10, "ten"}}));
}

// Libraries and jobs live in separate key spaces: a library is never listed as a job.
TEST_P(metadata_store_test, libraries_are_not_jobs) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_library("00000000000000000001", "lib").ok());
  auto empty = store->jobs();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(store->put_job(1, "job").ok());
  auto jobs = store->jobs();
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs.value(), (std::map<uint64_t, std::string>{{1, "job"}}));
}

// The extreme ids 0 and 2^64-1 are stored and listed in order.
TEST_P(metadata_store_test, extreme_job_ids) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_job(UINT64_MAX, "max").ok());
  ASSERT_TRUE(store->put_job(0, "zero").ok());
  auto jobs = store->jobs();
  ASSERT_TRUE(jobs.ok()) << jobs.error().message();
  EXPECT_EQ(jobs.value(), (std::map<uint64_t, std::string>{{0, "zero"}, {UINT64_MAX, "max"}}));
}

INSTANTIATE_TEST_SUITE_P(backends, metadata_store_test, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "leveldb" : "in_memory";
                         });

class metadata_store_dir_test : public ::testing::Test {
 protected:
  testing::temp_dir tmp_;  // removed with its contents after the test
  std::string dir_ = tmp_.path();
};

// A coordinator restarted on the same data directory finds its libraries and jobs again.
TEST_F(metadata_store_dir_test, data_survives_reopening) {
  {
    auto store = metadata_store::open(dir_);
    ASSERT_TRUE(store.ok()) << store.error().message();
    ASSERT_TRUE(store.value()->put_library("aaaa", binary_bytes).ok());
    ASSERT_TRUE(store.value()->put_job(3, "three").ok());
    ASSERT_TRUE(store.value()->put_job(12, "twelve").ok());
  }  // closes LevelDB and releases its lock
  EXPECT_TRUE(fs::is_directory(fs::path(dir_) / "metadata"));
  auto store = metadata_store::open(dir_);
  ASSERT_TRUE(store.ok()) << store.error().message();
  auto lib = store.value()->library("aaaa");
  ASSERT_TRUE(lib.ok()) << lib.error().message();
  EXPECT_EQ(lib.value(), binary_bytes);
  auto jobs = store.value()->jobs();
  ASSERT_TRUE(jobs.ok()) << jobs.error().message();
  EXPECT_EQ(jobs.value(), (std::map<uint64_t, std::string>{{3, "three"}, {12, "twelve"}}));
}

// open() creates the data directory itself when it does not exist yet.
TEST_F(metadata_store_dir_test, creates_missing_data_directory) {
  auto dir = dir_ + "/new";
  auto store = metadata_store::open(dir);
  ASSERT_TRUE(store.ok()) << store.error().message();
  ASSERT_TRUE(store.value()->put_job(1, "one").ok());
  EXPECT_TRUE(fs::is_directory(fs::path(dir) / "metadata"));
}

// A data directory below a regular file cannot exist: io_error naming the path, not a crash.
TEST_F(metadata_store_dir_test, path_under_regular_file_is_io_error) {
  auto file = dir_ + "/plain";
  std::ofstream(file) << "not a directory";
  auto store = metadata_store::open(file + "/data");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), errc::io_error);
  EXPECT_TRUE(mentions(store.error(), file + "/data")) << store.error().message();
}

// A key under "job/" that the store did not write (a damaged store) makes
// listing the jobs an io_error naming the key; std::stoull threw on "job/x"
// and read "job/-1" as job 2^64-1 (found with the job_record fuzz target).
TEST_F(metadata_store_dir_test, damaged_job_key_is_io_error) {
  for (const std::string key : {"job/x", "job/-1", "job/000000000000000000001", "job/"}) {
    {
      auto store = metadata_store::open(dir_);
      ASSERT_TRUE(store.ok()) << store.error().message();
      ASSERT_TRUE(store.value()->put_job(3, "three").ok());
    }
    {
      leveldb::DB* raw = nullptr;
      ASSERT_TRUE(leveldb::DB::Open(leveldb::Options{}, dir_ + "/metadata", &raw).ok());
      std::unique_ptr<leveldb::DB> db(raw);
      ASSERT_TRUE(db->Put(leveldb::WriteOptions{}, key, "bytes").ok());
    }
    auto store = metadata_store::open(dir_);
    ASSERT_TRUE(store.ok()) << store.error().message();
    auto jobs = store.value()->jobs();
    ASSERT_FALSE(jobs.ok()) << key;
    EXPECT_EQ(jobs.error().code(), errc::io_error);
    EXPECT_TRUE(mentions(jobs.error(), "'" + key + "'")) << jobs.error().message();
    fs::remove_all(fs::path(dir_) / "metadata");
  }
}

// The keys of job records sort by id and read back as their id.
TEST(job_record_key, reads_back_as_its_id) {
  for (uint64_t id : {uint64_t{0}, uint64_t{42}, ~uint64_t{0}}) {
    auto key = job_record_key(id);
    EXPECT_EQ(key.size(), 24u);
    auto back = job_id_of_key(key);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(back.value(), id);
  }
  EXPECT_LT(job_record_key(9), job_record_key(10));
  EXPECT_FALSE(job_id_of_key("job/18446744073709551616").ok()) << "2^64 does not fit";
}

// A data directory that is itself a regular file is an io_error naming the path.
TEST_F(metadata_store_dir_test, regular_file_as_data_directory_is_io_error) {
  auto file = dir_ + "/plain";
  std::ofstream(file) << "not a directory";
  auto store = metadata_store::open(file);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), errc::io_error);
  EXPECT_TRUE(mentions(store.error(), file)) << store.error().message();
}

}  // namespace
}  // namespace nagare
