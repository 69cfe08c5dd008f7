// A node's library cache: bytes are checked against their hash, written as
// DIR/<hash>.so and loaded from there, also by a later cache on the same
// directory. Uses the real wordcount library the build produces.
#include <gtest/gtest.h>

#include "process.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include "job_files.hpp"
#include "library_cache.hpp"
#include "library_hash.hpp"

namespace nagare {
namespace {

namespace fs = std::filesystem;

bool mentions(const status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

using testing::file_bytes;
using testing::jobs_dir;

status dummy_main(job&, const job_args&) { return {}; }

class library_cache_test : public ::testing::Test {
 protected:
  testing::temp_dir tmp_;  // removed with its contents after the test
  // The bytes of the built libwordcount.so.
  std::string wordcount_bytes() {
    auto path = jobs_dir() + "/libwordcount.so";
    auto bytes = file_bytes(path);
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
  EXPECT_EQ(file_bytes(file), bytes);
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

// Overwrites `size` bytes at `offset` of the file in place (the inode a
// process that mapped the file would see change), with int3 instructions.
void overwrite_in_place(const std::string& path, size_t offset, size_t size) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  ASSERT_TRUE(f.good()) << path;
  f.seekp(static_cast<std::streamoff>(offset));
  std::string junk(size, '\xcc');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

// A cached copy whose bytes were overwritten is found on the next load: it is
// deleted and reported as corruption (the node fetches it again), and storing
// the bytes again makes it load.
TEST_F(library_cache_test, damaged_cached_copy_is_deleted_and_can_be_stored_again) {
  auto bytes = wordcount_bytes();
  ASSERT_FALSE(bytes.empty());
  auto hash = library_hash(bytes);
  auto file = dir_ + "/" + hash + ".so";
  {
    library_cache first(dir_);
    ASSERT_TRUE(first.store(hash, bytes).ok());
  }
  overwrite_in_place(file, 4096, 64);
  library_cache cache(dir_);  // a node restarted over its cache
  auto def = cache.load(hash);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.error().code(), errc::corruption);
  EXPECT_TRUE(mentions(def.error(), hash)) << def.error().message();
  EXPECT_TRUE(mentions(def.error(), "do not match their SHA-256 hash")) << def.error().message();
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(cache.load(hash).error().code(), errc::not_found);
  auto again = cache.store(hash, bytes);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->name, "wordcount");
  EXPECT_EQ(file_bytes(file), bytes);
}

// A cached copy cut short (what used to kill a node with SIGBUS) is damaged too.
TEST_F(library_cache_test, truncated_cached_copy_is_damaged) {
  auto bytes = wordcount_bytes();
  ASSERT_FALSE(bytes.empty());
  auto hash = library_hash(bytes);
  testing::put_file(dir_ + "/" + hash + ".so", bytes.substr(0, 50000));
  library_cache cache(dir_);
  auto def = cache.load(hash);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.error().code(), errc::corruption);
  EXPECT_FALSE(fs::exists(dir_ + "/" + hash + ".so"));
}

// A file that matches the hash it is named by but fails the ELF check is
// deleted as damaged as well, and such bytes are never stored.
TEST_F(library_cache_test, cached_file_failing_the_elf_check_is_damaged) {
  auto bytes = wordcount_bytes();
  ASSERT_FALSE(bytes.empty());
  // Cut inside the section header table, at the end of the file past every
  // loaded segment: e_shoff is the 8 bytes at offset 0x28 of an ELF64 header.
  uint64_t shoff = 0;
  for (int i = 7; i >= 0; --i) shoff = (shoff << 8) | static_cast<uint8_t>(bytes[0x28 + i]);
  ASSERT_LT(shoff + 1, bytes.size());
  auto cut = bytes.substr(0, shoff + 1);
  auto hash = library_hash(cut);
  library_cache cache(dir_);
  auto refused = cache.store(hash, cut);
  EXPECT_EQ(refused.error().code(), errc::library_error);
  EXPECT_TRUE(mentions(refused.error(), "truncated")) << refused.error().message();
  EXPECT_FALSE(fs::exists(dir_ + "/" + hash + ".so"));
  testing::put_file(dir_ + "/" + hash + ".so", cut);
  auto def = cache.load(hash);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.error().code(), errc::corruption);
  EXPECT_TRUE(mentions(def.error(), "section header table")) << def.error().message();
  EXPECT_FALSE(fs::exists(dir_ + "/" + hash + ".so"));
}

// Damage to the cached file cannot reach a library already loaded from it:
// its code was loaded from a private copy of the verified bytes. The code
// segment of the file is overwritten with int3 instructions in place; the
// job's main still runs, and the cache reports the file damaged.
TEST_F(library_cache_test, loaded_library_is_not_reached_by_damage_to_its_file) {
  auto bytes = wordcount_bytes();
  ASSERT_FALSE(bytes.empty());
  auto hash = library_hash(bytes);
  library_cache cache(dir_);
  auto def = cache.store(hash, bytes);
  ASSERT_TRUE(def.ok()) << def.error().message();
  overwrite_in_place(dir_ + "/" + hash + ".so", 0, bytes.size());
  auto graph = build_graph(def.value(), {"--input", dir_ + "/in.txt", "--output", dir_ + "/out"});
  ASSERT_TRUE(graph.ok()) << graph.error().message();
  EXPECT_FALSE(graph->nodes.empty());
  EXPECT_EQ(cache.load(hash).error().code(), errc::corruption);
  auto again = cache.store(hash, bytes);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->main, def->main);  // loaded once per hash
}

// A hash that is not 64 hex digits never becomes a path.
TEST_F(library_cache_test, malformed_hash_is_invalid_argument) {
  library_cache cache(dir_);
  EXPECT_EQ(cache.load("../../etc/passwd").error().code(), errc::invalid_argument);
  EXPECT_EQ(cache.store("../x", "bytes").error().code(), errc::invalid_argument);
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
