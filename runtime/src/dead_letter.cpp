// Reports about dead letters on standard error (nagare/dead_letter.hpp).
#include "nagare/dead_letter.hpp"

#include <cstdio>
#include <string>

namespace nagare::detail {

namespace {

// At most `limit` bytes of `text`, with control characters and backslashes
// escaped so that the report stays one line.
std::string shown(const std::string& text, size_t limit) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < limit; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > limit) out += "...";
  return out;
}

}  // namespace

void report_dead_letters(const std::string& task, uint64_t count, const char* fate,
                         const dead_letter* letter, const char* what) {
  std::string line = task + ": " + std::to_string(count) + " dead letter" +
                     (count == 1 ? "" : "s") + " (" + what + "), " + fate;
  if (letter) {
    line += "; the last: split '" + shown(letter->split, 200) + "'";
    if (letter->position) line += " at " + std::to_string(*letter->position);
    line += ": " + shown(letter->reason, 200) + ": '" + shown(letter->record, 200) + "'";
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace nagare::detail
