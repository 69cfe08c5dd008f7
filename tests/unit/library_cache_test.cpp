// A node's library cache: bytes are checked against their hash, written as
// DIR/<hash>.so and loaded from there, also by a later cache on the same
// directory. Uses the real wordcount library the build produces.
#include <gtest/gtest.h>

#include "process.hpp"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "library_cache.hpp"
#include "metadata_store.hpp"

namespace nagare {
namespace {

namespace fs = std::filesystem;

bool mentions(const status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

// The built jobs: NAGARE_JOBS_DIR under meson test, else the build tree's
// jobs/ next to this binary (build/tests/unit/unit_tests -> build/jobs).
std::string jobs_dir() {
  if (const char* env = std::getenv("NAGARE_JOBS_DIR")) return env;
  char self[PATH_MAX];
  auto n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "jobs";
  self[n] = '\0';
  return (fs::path(self).parent_path() / ".." / ".." / "jobs").lexically_normal().string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

status dummy_main(job&, const job_args&) { return {}; }

class library_cache_test : public ::testing::Test {
 protected:
  testing::temp_dir tmp_;  // removed with its contents after the test
  // The bytes of the built libwordcount.so.
  std::string wordcount_bytes() {
    auto path = jobs_dir() + "/libwordcount.so";
    auto bytes = read_file(path);
    EXPECT_FALSE(bytes.empty()) << "cannot read " << path << " (is NAGARE_JOBS_DIR set?)";
    return bytes;
  }
  std::string dir_ = tmp_.path();
};

// Bytes that do not hash to the claimed hash are refused and nothing is written.
TEST_F(library_cache_test, store_refuses_bytes_that_do_not_match_the_hash) {
  library_cache cache(dir_);
  auto hash = library_hash("the real library");
  auto def = cache.store(hash, "a tampered library");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.error().code(), errc::library_error);
  EXPECT_TRUE(mentions(def.error(), hash)) << def.error().message();
  EXPECT_FALSE(fs::exists(fs::path(dir_) / (hash + ".so")));
  EXPECT_EQ(cache.load(hash).error().code(), errc::not_found);
}

// A hash that was never stored is not_found, and the message names the hash.
TEST_F(library_cache_test, load_of_unknown_hash_is_not_found) {
  library_cache cache(dir_);
  auto hash = library_hash("never stored");
  auto def = cache.load(hash);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.error().code(), errc::not_found);
  EXPECT_TRUE(mentions(def.error(), hash)) << def.error().message();
}

// Stored library bytes land in DIR/<hash>.so unchanged and load as the job they declare.
TEST_F(library_cache_test, stores_and_loads_a_real_job_library) {
  auto bytes = wordcount_bytes();
  ASSERT_FALSE(bytes.empty());
  auto hash = library_hash(bytes);
  library_cache cache(dir_);
  auto stored = cache.store(hash, bytes);
  ASSERT_TRUE(stored.ok()) << stored.error().message();
  EXPECT_EQ(stored->name, "wordcount");
  EXPECT_NE(stored->main, nullptr);
  auto file = dir_ + "/" + hash + ".so";
  ASSERT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(read_file(file), bytes);
  auto loaded = cache.load(hash);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_EQ(loaded->name, "wordcount");
  EXPECT_EQ(loaded->main, stored->main);
}

// A node restarted on the same cache directory loads a library without receiving it again.
TEST_F(library_cache_test, second_cache_on_same_directory_loads_without_store) {
  auto bytes = wordcount_bytes();
  ASSERT_FALSE(bytes.empty());
  auto hash = library_hash(bytes);
  {
    library_cache first(dir_);
    ASSERT_TRUE(first.store(hash, bytes).ok());
  }
  library_cache second(dir_);
  auto def = second.load(hash);
  ASSERT_TRUE(def.ok()) << def.error().message();
  EXPECT_EQ(def->name, "wordcount");
  EXPECT_NE(def->main, nullptr);
}

// The cache directory is created by the first store() when it does not exist.
TEST_F(library_cache_test, store_creates_the_cache_directory) {
  auto bytes = wordcount_bytes();
  ASSERT_FALSE(bytes.empty());
  auto hash = library_hash(bytes);
  auto dir = dir_ + "/libraries";
  library_cache cache(dir);
  auto def = cache.store(hash, bytes);
  ASSERT_TRUE(def.ok()) << def.error().message();
  EXPECT_TRUE(fs::is_regular_file(dir + "/" + hash + ".so"));
}

// Bytes that match their hash but are no shared library are a library_error, not a crash.
TEST_F(library_cache_test, store_of_non_library_bytes_is_library_error) {
  std::string junk = "this is not an ELF file";
  auto hash = library_hash(junk);
  library_cache cache(dir_);
  auto def = cache.store(hash, junk);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.error().code(), errc::library_error);
}

// "linked:NAME" is served from the linked-job registry, not from the directory.
TEST_F(library_cache_test, linked_names_go_to_the_linked_job_registry) {
  register_linked_job("library_cache_test_job", dummy_main);
  library_cache cache(dir_ + "/never-created");
  auto def = cache.load("linked:library_cache_test_job");
  ASSERT_TRUE(def.ok()) << def.error().message();
  EXPECT_EQ(def->name, "library_cache_test_job");
  EXPECT_EQ(def->main, &dummy_main);
  EXPECT_FALSE(fs::exists(dir_ + "/never-created"));
}

// A linked name nobody registered is not_found.
TEST_F(library_cache_test, unregistered_linked_name_is_not_found) {
  library_cache cache(dir_);
  auto def = cache.load("linked:library_cache_test_nobody");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.error().code(), errc::not_found);
}

}  // namespace
}  // namespace nagare
