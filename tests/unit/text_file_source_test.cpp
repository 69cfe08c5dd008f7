// The text file source: lines as records, files as splits, validation of
// the input paths. The reader is driven directly against real temp files.
#include <gtest/gtest.h>

#include "process.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "nagare/source.hpp"

namespace nagare {
namespace {

namespace fs = std::filesystem;
using strings = std::vector<std::string>;

// Collects what the reader emits.
class lines final : public detail::input_port<std::string> {
 public:
  void push(std::string& r) override { got.push_back(r); }
  strings got;
};

class text_file_source_test : public ::testing::Test {
 protected:
  testing::temp_dir tmp_;  // removed with its contents after the test

  std::string write(const std::string& name, const std::string& content) {
    auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Reads everything subtask `s` of `p` gets, `max` records per poll.
  strings read_all(const strings& paths, uint32_t s = 0, uint32_t p = 1, size_t max = 1000) {
    auto reader = text_file_source(paths).create();
    subtask_info info;
    info.subtask = s;
    info.parallelism = p;
    EXPECT_TRUE(reader->open(info).ok());
    lines sink;
    collector<std::string> out(&sink);
    bool end = false;
    for (int polls = 0; !end; ++polls) {
      if (polls > 1000000) {
        ADD_FAILURE() << "reader never ends";
        break;
      }
      auto st = reader->poll(max, out, end);
      if (!st.ok()) {
        ADD_FAILURE() << st.message();
        break;
      }
    }
    EXPECT_TRUE(reader->close().ok());
    return sink.got;
  }

  fs::path dir_ = tmp_.path();
};

// Records are lines without their "\n"; a trailing "\r" is dropped too.
TEST_F(text_file_source_test, strips_newline_and_carriage_return) {
  auto f = write("a.txt", "one\ntwo\r\nthree\n");
  EXPECT_EQ(read_all({f}), (strings{"one", "two", "three"}));
}

// Only a "\r" right before the "\n" is dropped; one inside a line stays.
TEST_F(text_file_source_test, keeps_inner_carriage_return) {
  auto f = write("a.txt", "a\rb\n\rc\n");
  EXPECT_EQ(read_all({f}), (strings{"a\rb", "\rc"}));
}

// Empty lines are records too, "\r\n" ones included.
TEST_F(text_file_source_test, keeps_empty_lines) {
  auto f = write("a.txt", "\nx\n\n\r\ny\n");
  EXPECT_EQ(read_all({f}), (strings{"", "x", "", "", "y"}));
}

// A last line without "\n" is emitted (and loses a trailing "\r").
TEST_F(text_file_source_test, emits_last_line_without_newline) {
  EXPECT_EQ(read_all({write("a.txt", "first\nlast")}), (strings{"first", "last"}));
  EXPECT_EQ(read_all({write("b.txt", "only\r")}), (strings{"only"}));
}

// An empty file has no records; a file of one "\n" has one empty record.
TEST_F(text_file_source_test, empty_file_has_no_records) {
  EXPECT_EQ(read_all({write("empty.txt", "")}), strings{});
  EXPECT_EQ(read_all({write("nl.txt", "\n")}), (strings{""}));
}

// A file of several MiB, lines of varied length crossing the 1 MiB read
// buffer's boundaries, comes back line for line.
TEST_F(text_file_source_test, reads_lines_across_buffer_boundaries) {
  strings expected;
  std::string content;
  for (uint32_t i = 0; content.size() < 3 * (1u << 20) + 12345; ++i) {
    expected.push_back("line " + std::to_string(i) +
                       std::string(i % 97, static_cast<char>('a' + i % 26)));
    content += expected.back();
    content += (i % 5 == 0) ? "\r\n" : "\n";
  }
  auto f = write("big.txt", content);
  EXPECT_EQ(read_all({f}, 0, 1, 4096), expected);
  EXPECT_EQ(read_all({f}, 0, 1, 7), expected);
}

// A "\r\n" split exactly at the 1 MiB buffer boundary still loses its "\r".
TEST_F(text_file_source_test, crlf_split_at_buffer_boundary) {
  std::string first((1u << 20) - 1, 'x');  // its "\r" is the buffer's last byte
  auto f = write("a.txt", first + "\r\nnext\n");
  EXPECT_EQ(read_all({f}), (strings{first, "next"}));
}

// A single line longer than the read buffer is one record.
TEST_F(text_file_source_test, line_longer_than_buffer_is_one_record) {
  std::string huge(2 * (1u << 20) + 17, 'z');
  huge[1u << 20] = 'M';
  auto f = write("a.txt", "short\n" + huge + "\nafter");
  EXPECT_EQ(read_all({f}), (strings{"short", huge, "after"}));
}

// Split i goes to subtask i % parallelism, each subtask reading its files in order.
TEST_F(text_file_source_test, assigns_files_round_robin) {
  strings paths;
  for (int i = 0; i < 5; ++i)
    paths.push_back(write("f" + std::to_string(i), "f" + std::to_string(i) + "\n"));
  EXPECT_EQ(read_all(paths, 0, 2), (strings{"f0", "f2", "f4"}));
  EXPECT_EQ(read_all(paths, 1, 2), (strings{"f1", "f3"}));
  EXPECT_EQ(read_all(paths, 2, 3), (strings{"f2"}));
}

// A subtask without files ends at once with no records.
TEST_F(text_file_source_test, subtask_without_files_ends_at_once) {
  auto f = write("a.txt", "x\n");
  auto reader = text_file_source({f}).create();
  subtask_info info;
  info.subtask = 1;
  info.parallelism = 2;
  ASSERT_TRUE(reader->open(info).ok());
  lines sink;
  collector<std::string> out(&sink);
  bool end = false;
  ASSERT_TRUE(reader->poll(100, out, end).ok());
  EXPECT_TRUE(end);
  EXPECT_TRUE(sink.got.empty());
}

// A file without a final newline followed by another file: lines never merge across files.
TEST_F(text_file_source_test, files_do_not_merge_lines) {
  auto a = write("a.txt", "a1\na2");
  auto b = write("b.txt", "b1\n");
  EXPECT_EQ(read_all({a, b}, 0, 1, 1), (strings{"a1", "a2", "b1"}));
}

// poll() emits at most max_records per call, and exactly that many while lines remain.
TEST_F(text_file_source_test, poll_respects_max_records) {
  std::string content;
  for (int i = 0; i < 10; ++i) content += std::to_string(i) + "\n";
  auto a = write("a.txt", content);
  auto b = write("b.txt", "x\ny");
  auto reader = text_file_source({a, b}).create();
  ASSERT_TRUE(reader->open(subtask_info{}).ok());
  lines sink;
  collector<std::string> out(&sink);
  bool end = false;
  std::vector<size_t> per_poll;
  while (!end) {
    auto before = sink.got.size();
    ASSERT_TRUE(reader->poll(3, out, end).ok());
    per_poll.push_back(sink.got.size() - before);
    ASSERT_LE(per_poll.back(), 3u);
    ASSERT_LT(per_poll.size(), 100u);
  }
  ASSERT_EQ(sink.got.size(), 12u);
  // 12 records, 3 per poll: the first four polls are full.
  ASSERT_GE(per_poll.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(per_poll[i], 3u) << "poll " << i;
  EXPECT_EQ(sink.got.front(), "0");
  EXPECT_EQ(sink.got.back(), "y");
}

// poll(0) emits nothing and does not end a source that has lines.
TEST_F(text_file_source_test, poll_zero_emits_nothing) {
  auto reader = text_file_source({write("a.txt", "x\n")}).create();
  ASSERT_TRUE(reader->open(subtask_info{}).ok());
  lines sink;
  collector<std::string> out(&sink);
  bool end = false;
  ASSERT_TRUE(reader->poll(0, out, end).ok());
  EXPECT_FALSE(end);
  EXPECT_TRUE(sink.got.empty());
}

// A file that disappears before reading is an io_error naming it.
TEST_F(text_file_source_test, missing_file_at_poll_is_an_io_error) {
  auto path = (dir_ / "gone.txt").string();
  auto reader = text_file_source({path}).create();
  ASSERT_TRUE(reader->open(subtask_info{}).ok());
  lines sink;
  collector<std::string> out(&sink);
  bool end = false;
  auto st = reader->poll(10, out, end);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::io_error);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
}

// validate() accepts readable regular files.
TEST_F(text_file_source_test, validate_accepts_files) {
  EXPECT_TRUE(text_file_source({write("a.txt", "x"), write("b.txt", "")}).validate().ok());
}

// validate() names a missing file.
TEST_F(text_file_source_test, validate_rejects_missing_file) {
  auto ok = write("a.txt", "x");
  auto missing = (dir_ / "missing.txt").string();
  auto st = text_file_source({ok, missing}).validate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::not_found);
  EXPECT_NE(st.message().find(missing), std::string::npos) << st.message();
}

// validate() names a directory given as an input file.
TEST_F(text_file_source_test, validate_rejects_directory) {
  auto st = text_file_source({dir_.string()}).validate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::invalid_argument);
  EXPECT_NE(st.message().find(dir_.string()), std::string::npos) << st.message();
}

// validate() rejects a source without input files.
TEST_F(text_file_source_test, validate_rejects_no_files) {
  auto st = text_file_source(strings{}).validate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::invalid_argument);
}

}  // namespace
}  // namespace nagare
