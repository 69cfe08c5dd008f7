// Decimal integers and keys as the bundled jobs' references read them,
// independently of the jobs' own parsing.
#pragma once

#include <cstdint>
#include <string>

namespace nagare::testing {

// "-"? digit+ within the signed 64-bit range, checked digit by digit.
inline bool parse_int64(const std::string& s, int64_t& out) {
  size_t i = 0;
  bool negative = !s.empty() && s[0] == '-';
  if (negative) i = 1;
  if (i == s.size()) return false;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t magnitude = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    auto digit = static_cast<uint64_t>(s[i] - '0');
    if (magnitude > (limit - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  // Two's complement by hand: the wrap-around the job's sums also use.
  out = static_cast<int64_t>(negative ? ~magnitude + 1 : magnitude);
  return true;
}

// Whether `s` is such an integer.
inline bool is_int64(const std::string& s) {
  int64_t ignored = 0;
  return parse_int64(s, ignored);
}

// Whether every byte of `s` is printable ASCII (0x20 to 0x7E), as the
// bundled jobs require of keys.
inline bool printable_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

}  // namespace nagare::testing
