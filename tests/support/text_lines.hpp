// The lines of a text as the text file source reads them: split at '\n', a
// trailing '\r' removed, no line after a final '\n'. One reading for every
// reference computation, so they agree with each other and with the source.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nagare::testing {

// Calls f(offset, line) for every line of `text`; offset is the byte where
// the line starts (the source's replay position).
template <class F>
void for_each_line(const std::string& text, F f) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    f(begin, line);
    begin = end + 1;
  }
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  for_each_line(text, [&](size_t, const std::string& line) { out.push_back(line); });
  return out;
}

}  // namespace nagare::testing
