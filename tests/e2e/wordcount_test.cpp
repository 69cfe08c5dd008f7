// WordCount end to end: `nagare run libwordcount.so` over generated text,
// compared with counts computed here by an independent tokenizer.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "process.hpp"

namespace nagare::testing {
namespace {

bool ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

void count_words(const std::string& text, std::map<std::string, uint64_t>& counts) {
  std::string word;
  for (unsigned char c : text + "\n") {
    if (ascii_alnum(c)) {
      word += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else if (!word.empty()) {
      ++counts[word];
      word.clear();
    }
  }
}

// Text with mixed case, digits, punctuation, UTF-8 letters (separators here),
// CRLF and LF endings, empty lines and no final newline.
std::string generate_text(uint32_t seed, size_t lines) {
  std::mt19937_64 rng(seed);
  const std::vector<std::string> vocabulary = {
      "stream", "Stream", "STREAM", "window", "key",  "Flink", "nagare", "caf",        "2026",
      "x1y2",   "a",      "I",      "naïve",  "café", "don't", "e-mail", "under_score"};
  const std::string separators[] = {" ",  "  ", "\t", ", ", ". ",      "; ",
                                    " (", ") ", "!",  "—",  "\xC3\xA9"};
  std::string text;
  for (size_t l = 0; l < lines; ++l) {
    auto words = rng() % 14;
    for (size_t w = 0; w < words; ++w) {
      text += rng() % 4 == 0 ? "w" + std::to_string(rng() % 3000)
                             : vocabulary[rng() % vocabulary.size()];
      text += separators[rng() % std::size(separators)];
    }
    text += rng() % 5 == 0 ? "\r\n" : "\n";
  }
  return text + "tail without newline";
}

std::map<std::string, uint64_t> parse_counts(const std::vector<std::string>& lines) {
  std::map<std::string, uint64_t> got;
  for (const auto& line : lines) {
    auto tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << "malformed output line: " << line;
    if (tab == std::string::npos) continue;
    auto word = line.substr(0, tab);
    EXPECT_EQ(got.count(word), 0u) << "word written twice: " << word;
    got[word] = std::stoull(line.substr(tab + 1));
  }
  return got;
}

class wordcount : public ::testing::TestWithParam<int> {};

// The union of the output files equals the independent count, at parallelism 1 and 4.
TEST_P(wordcount, matches_independent_count) {
  temp_dir dir;
  std::map<std::string, uint64_t> expected;
  std::vector<std::string> args = {
      nagare_bin(), "run",    job_library("wordcount"), "--parallelism", std::to_string(GetParam()),
      "--",         "--input"};
  // Three files of different sizes; the largest spans several 1 MiB read buffers.
  const size_t sizes[] = {60000, 3000, 1};
  for (uint32_t i = 0; i < 3; ++i) {
    auto text = generate_text(i + 1, sizes[i]);
    count_words(text, expected);
    write_file(dir / ("in" + std::to_string(i) + ".txt"), text);
    args.push_back(dir / ("in" + std::to_string(i) + ".txt"));
  }
  args.insert(args.end(), {"--output", dir / "out"});
  auto r = run_process(args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = parse_counts(read_result_lines(dir / "out"));
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

INSTANTIATE_TEST_SUITE_P(parallelism, wordcount, ::testing::Values(1, 4));

// An empty input file is a valid input: the job finishes with no words.
TEST(wordcount_edge, empty_input_gives_empty_result) {
  temp_dir dir;
  write_file(dir / "empty.txt", "");
  auto r = run_process({nagare_bin(), "run", job_library("wordcount"), "-p", "2", "--", "--input",
                        dir / "empty.txt", "--output", dir / "out"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_result_lines(dir / "out").empty());
}

}  // namespace
}  // namespace nagare::testing
