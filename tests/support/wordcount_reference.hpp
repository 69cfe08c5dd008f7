// An independent WordCount for tests: generated text with every kind of
// separator, and counts computed without any Nagare code.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nagare::testing {

// Text with mixed case, digits, punctuation, UTF-8 letters (separators),
// CRLF and LF endings, empty lines and no final newline.
std::string generate_text(uint32_t seed, size_t lines);

// Adds the words of `text` (maximal runs of ASCII letters and digits,
// lower-cased) to `counts`.
void count_words(const std::string& text, std::map<std::string, uint64_t>& counts);

// Parses "word<TAB>count" lines; records a test failure for a malformed line
// or a word written twice.
std::map<std::string, uint64_t> parse_counts(const std::vector<std::string>& lines);

}  // namespace nagare::testing
