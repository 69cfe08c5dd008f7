#include "wordcount_reference.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <random>

namespace nagare::testing {

namespace {
bool ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

}  // namespace

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

}  // namespace nagare::testing
