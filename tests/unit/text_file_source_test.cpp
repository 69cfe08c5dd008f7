// The text file source: lines as records, files as splits, validation of
// the input paths. The reader is driven directly against real temp files.
#include <gtest/gtest.h>

#include "process.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "nagare/detail/operators.hpp"
#include "nagare/detail/snapshot.hpp"
#include "nagare/source.hpp"
#include "nagare/watermark.hpp"
#include "split_support.hpp"

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

  // Gives `r` the splits the job master deals subtask info.subtask of
  // info.parallelism of a source of `paths` (split contract), and no more.
  template <class R>
  static void deal(R& r, const strings& paths, const subtask_info& info) {
    testing::give_splits(r, testing::splits_of(text_file_source(paths), info.subtask,
                                               info.parallelism ? info.parallelism : 1));
  }

  // Reads everything subtask `s` of `p` gets, `max` records per poll.
  strings read_all(const strings& paths, uint32_t s = 0, uint32_t p = 1, size_t max = 1000) {
    auto reader = text_file_source(paths).create();
    subtask_info info;
    info.subtask = s;
    info.parallelism = p;
    EXPECT_TRUE(reader->open(info).ok());
    deal(*reader, paths, info);
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

// Split i goes to subtask i % parallelism; a subtask takes a line from each of its files in turn.
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
  deal(*reader, {f}, info);
  lines sink;
  collector<std::string> out(&sink);
  bool end = false;
  ASSERT_TRUE(reader->poll(100, out, end).ok());
  EXPECT_TRUE(end);
  EXPECT_TRUE(sink.got.empty());
}

// A file without a final newline beside another file: lines never merge across files.
TEST_F(text_file_source_test, files_do_not_merge_lines) {
  auto a = write("a.txt", "a1\na2");
  auto b = write("b.txt", "b1\n");
  EXPECT_EQ(read_all({a, b}, 0, 1, 1), (strings{"a1", "b1", "a2"}));
}

// poll() emits at most max_records per call, and exactly that many while lines remain.
TEST_F(text_file_source_test, poll_respects_max_records) {
  std::string content;
  for (int i = 0; i < 10; ++i) content += std::to_string(i) + "\n";
  auto a = write("a.txt", content);
  auto b = write("b.txt", "x\ny");
  auto reader = text_file_source({a, b}).create();
  ASSERT_TRUE(reader->open(subtask_info{}).ok());
  deal(*reader, {a, b}, subtask_info{});
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
  // Two files side by side, two lines of each per turn (a share of 3 over 2 files):
  // 0 1 x | 2 3 y | 4 5 6 | 7 8 9.
  EXPECT_EQ(sink.got, (strings{"0", "1", "x", "2", "3", "y", "4", "5", "6", "7", "8", "9"}));
}

// poll(0) emits nothing and does not end a source that has lines.
TEST_F(text_file_source_test, poll_zero_emits_nothing) {
  auto a = write("a.txt", "x\n");
  auto reader = text_file_source({a}).create();
  ASSERT_TRUE(reader->open(subtask_info{}).ok());
  deal(*reader, {a}, subtask_info{});
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
  deal(*reader, {path}, subtask_info{});
  lines sink;
  collector<std::string> out(&sink);
  bool end = false;
  auto st = reader->poll(10, out, end);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::io_error);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
}

// Files of one subtask are read side by side: every poll takes lines from each file not yet
// finished (a share of the poll each), so a short file does not wait for a long one; each file
// still comes in order, and every line exactly once.
TEST_F(text_file_source_test, interleaves_the_files_of_a_subtask) {
  std::vector<strings> files(3);
  strings paths;
  for (size_t f = 0; f < files.size(); ++f) {
    std::string content;
    for (size_t i = 0; i < 10 + 15 * f; ++i) {
      files[f].push_back("f" + std::to_string(f) + "-" + std::to_string(i));
      content += files[f].back() + "\n";
    }
    paths.push_back(write("f" + std::to_string(f), content));
  }
  auto reader = text_file_source(paths).create();
  ASSERT_TRUE(reader->open(subtask_info{}).ok());
  deal(*reader, paths, subtask_info{});
  lines sink;
  collector<std::string> out(&sink);
  bool end = false;
  std::vector<strings> polls;
  while (!end) {
    auto before = sink.got.size();
    ASSERT_TRUE(reader->poll(9, out, end).ok());
    polls.emplace_back(sink.got.begin() + static_cast<std::ptrdiff_t>(before), sink.got.end());
    ASSERT_LT(polls.size(), 100u);
  }
  // The first poll: 3 lines of each file, in turn.
  EXPECT_EQ(polls[0],
            (strings{"f0-0", "f0-1", "f0-2", "f1-0", "f1-1", "f1-2", "f2-0", "f2-1", "f2-2"}));
  // While all three last, every poll holds lines of each.
  for (size_t p = 0; p < 3; ++p)
    for (const char* f : {"f0-", "f1-", "f2-"})
      EXPECT_TRUE(std::any_of(polls[p].begin(), polls[p].end(),
                              [&](const std::string& r) { return r.rfind(f, 0) == 0; }))
          << "poll " << p << " has no line of " << f;
  for (size_t f = 0; f < files.size(); ++f) {
    strings got;
    for (const auto& r : sink.got)
      if (r.rfind("f" + std::to_string(f) + "-", 0) == 0) got.push_back(r);
    EXPECT_EQ(got, files[f]) << "file " << f;
  }
  EXPECT_EQ(sink.got.size(), 10u + 25u + 40u);
}

// Replay positions stay exact while files are read side by side: a snapshot after any poll,
// restored into a fresh reader (at the same or another parallelism), gives each file's remaining
// lines once, whatever the buffer held. Files cross the read buffer (over 1 MiB together).
TEST_F(text_file_source_test, positions_are_exact_across_interleaved_files) {
  std::vector<strings> files(4);
  strings paths;
  for (size_t f = 0; f < files.size(); ++f) {
    std::string content;
    for (size_t i = 0; i < 3000 + 700 * f; ++i) {
      files[f].push_back(std::to_string(f) + ":" + std::to_string(i) +
                         std::string((i * 31 + f) % 150, 'a' + static_cast<char>(f)));
      content += files[f].back() + (i % 7 == 0 ? "\r\n" : "\n");
    }
    paths.push_back(write("f" + std::to_string(f), content));
  }
  auto file_of = [](const std::string& r) { return static_cast<size_t>(r[0] - '0'); };
  for (size_t per_poll : {5u, 1000u}) {
    for (size_t cut : {1u, 3u, 17u, 40u}) {
      for (uint32_t q : {1u, 3u}) {
        SCOPED_TRACE("per poll " + std::to_string(per_poll) + ", cut after poll " +
                     std::to_string(cut) + ", restored at parallelism " + std::to_string(q));
        // Subtasks 0 and 1 of 2 read `cut` polls each, then snapshot.
        std::vector<strings> got(files.size());
        strings entries;
        for (uint32_t s = 0; s < 2; ++s) {
          auto r = text_file_source(paths).create();
          subtask_info info;
          info.subtask = s;
          info.parallelism = 2;
          ASSERT_TRUE(r->open(info).ok());
          deal(*r, paths, info);
          lines sink;
          collector<std::string> out(&sink);
          bool end = false;
          for (size_t p = 0; p < cut && !end; ++p) ASSERT_TRUE(r->poll(per_poll, out, end).ok());
          for (const auto& rec : sink.got) got[file_of(rec)].push_back(rec);
          r->positions(entries);
        }
        for (uint32_t s = 0; s < q; ++s) {
          auto r = text_file_source(paths).create();
          subtask_info info;
          info.subtask = s;
          info.parallelism = q;
          ASSERT_TRUE(r->open(info).ok());
          auto st = r->restore(entries, info);
          ASSERT_TRUE(st.ok()) << st.message();
          deal(*r, paths, info);
          lines sink;
          collector<std::string> out(&sink);
          bool end = false;
          for (int p = 0; !end; ++p) {
            ASSERT_TRUE(r->poll(per_poll, out, end).ok());
            ASSERT_LT(p, 100000);
          }
          for (const auto& rec : sink.got) got[file_of(rec)].push_back(rec);
        }
        for (size_t f = 0; f < files.size(); ++f) EXPECT_EQ(got[f], files[f]) << "file " << f;
      }
    }
  }
}

// The reader names its splits up front and as it reads them ("<index> <path>"), so that
// watermarks are per file: with a strategy, the watermark after each poll is the minimum over
// the files not finished of (largest timestamp read - B - 1), worked out here from the lines read.
TEST_F(text_file_source_test, watermark_is_the_minimum_over_its_files) {
  // Lines "file,timestamp": a rises by 10 per line, b by 3 (so b lags), c has 5 lines only and
  // is finished in the second poll (it reads its end of file then).
  const std::vector<size_t> sizes{60, 60, 5};
  auto ts_of_line = [](size_t f, size_t i) -> int64_t {
    return f == 0 ? 1000 + 10 * int64_t(i) : f == 1 ? 1000 + 3 * int64_t(i) : 5000 + int64_t(i);
  };
  strings paths;
  for (size_t f = 0; f < 3; ++f) {
    std::string content;
    for (size_t i = 0; i < sizes[f]; ++i)
      content += std::to_string(f) + "," + std::to_string(ts_of_line(f, i)) + "\n";
    paths.push_back(write(std::string(1, static_cast<char>('a' + f)), content));
  }
  // The static enumerator names the splits "<index> <path>".
  auto splits = testing::splits_of(text_file_source(paths), 0, 1);
  strings names;
  for (const auto& sp : splits) names.push_back(sp.id);
  EXPECT_EQ(names, (strings{"0 " + paths[0], "1 " + paths[1], "2 " + paths[2]}));

  const int64_t bound = 20;
  lines sink;
  detail::source_operator<std::string> op(
      text_file_source(paths).create(),
      watermark_strategy<std::string>::bounded_out_of_orderness(bound, [](const std::string& l) {
        return static_cast<int64_t>(std::stoll(l.substr(2)));
      }));
  op.connect(static_cast<detail::input_port<std::string>*>(&sink));
  ASSERT_TRUE(op.open(subtask_info{}).ok());
  ASSERT_TRUE(op.restore({}, subtask_info{}).ok());
  op.add_splits(splits, true);
  bool end = false;
  int64_t previous = min_timestamp;
  int checked = 0;
  while (!end) {
    uint64_t emitted = 0;
    ASSERT_TRUE(op.poll(12, emitted, end).ok());
    std::vector<size_t> seen(3, 0);
    std::vector<int64_t> max(3, min_timestamp);
    for (const auto& l : sink.got) {
      auto f = static_cast<size_t>(l[0] - '0');
      ++seen[f];
      max[f] = std::max<int64_t>(max[f], std::stoll(l.substr(2)));
    }
    if (seen[0] == sizes[0] || seen[1] == sizes[1]) break;  // a or b may be finished: stop here
    int64_t expected = max_timestamp;
    for (size_t f = 0; f < 3; ++f) {
      if (f == 2 && seen[2] == sizes[2]) continue;  // c is finished
      expected = std::min(expected, max[f] == min_timestamp ? min_timestamp : max[f] - bound - 1);
    }
    expected = std::max(expected, previous);  // never back
    EXPECT_EQ(op.current_watermark(), expected) << "after " << sink.got.size() << " lines";
    previous = op.current_watermark();
    ++checked;
  }
  EXPECT_GE(checked, 5);
  EXPECT_GT(previous, 1000) << "the watermark advanced while reading";
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
