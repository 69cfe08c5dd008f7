// The job id mark: the highest job id handed out, in a file of its own, read
// back exactly, never lowered, and a damaged file reported (not trusted).
#include <gtest/gtest.h>

#include "process.hpp"

#include "job_files.hpp"
#include "job_id_mark.hpp"

namespace nagare {
namespace {

class job_id_mark_test : public ::testing::Test {
 protected:
  testing::temp_dir tmp_;
  std::string file_ = job_id_mark::file_of(tmp_.path());
};

// No file: no id handed out yet.
TEST_F(job_id_mark_test, missing_file_reads_zero) {
  EXPECT_EQ(job_id_mark(file_).read().value(), 0u);
}

// A raised mark is in the file, as decimal and a newline, for a later reader.
TEST_F(job_id_mark_test, raised_mark_survives_in_the_file) {
  job_id_mark mark(file_);
  ASSERT_TRUE(mark.raise_to(7).ok());
  ASSERT_TRUE(mark.raise_to(18446744073709551615ull).ok());
  EXPECT_EQ(testing::file_bytes(file_), "18446744073709551615\n");
  EXPECT_EQ(job_id_mark(file_).read().value(), 18446744073709551615ull);
}

// The mark never goes down, also for a writer that did not read it first.
TEST_F(job_id_mark_test, never_lowered) {
  ASSERT_TRUE(job_id_mark(file_).raise_to(40).ok());
  job_id_mark later(file_);
  ASSERT_TRUE(later.raise_to(12).ok());
  EXPECT_EQ(job_id_mark(file_).read().value(), 40u);
  ASSERT_TRUE(later.raise_to(41).ok());
  EXPECT_EQ(job_id_mark(file_).read().value(), 41u);
}

// Anything but one decimal id and a newline is corruption, naming the file;
// raising the mark rewrites a damaged file.
TEST_F(job_id_mark_test, damaged_file_is_corruption_and_rewritten) {
  for (const char* text : {"", "\n", "12", "12\n\n", "1 2\n", "-3\n", "007\n", "x\n",
                           "18446744073709551616\n", "99999999999999999999999\n"}) {
    SCOPED_TRACE(std::string("file holds '") + text + "'");
    testing::put_file(file_, text);
    auto read = job_id_mark(file_).read();
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.error().code(), errc::corruption);
    EXPECT_NE(read.error().message().find(file_), std::string::npos);
  }
  job_id_mark mark(file_);
  ASSERT_TRUE(mark.raise_to(5).ok());
  EXPECT_EQ(job_id_mark(file_).read().value(), 5u);
}

// Without a path the mark lives in memory (embedded mode): nothing is written.
TEST_F(job_id_mark_test, in_memory_mark) {
  job_id_mark mark("");
  ASSERT_TRUE(mark.raise_to(3).ok());
  ASSERT_TRUE(mark.raise_to(2).ok());
  EXPECT_EQ(mark.read().value(), 3u);
}

}  // namespace
}  // namespace nagare
