// UUIDs as YSB writes them ("8-4-4-4-12" lower-case hex) held in 16 bytes:
// a pair of 64-bit halves, so that the engine's pair codec, key hash and
// equality serve as they are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace ysb {

using uuid = std::pair<uint64_t, uint64_t>;

inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; false for anything else.
inline bool parse_uuid(std::string_view text, uuid& out) {
  if (text.size() != 36) return false;
  uint64_t halves[2] = {0, 0};
  int digits = 0;
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
      continue;
    }
    int d = hex_digit(text[i]);
    if (d < 0) return false;
    auto& h = halves[digits / 16];
    h = (h << 4) | static_cast<uint64_t>(d);
    ++digits;
  }
  out = {halves[0], halves[1]};
  return true;
}

// Appends the UUID's text, lower case.
inline void append_uuid(const uuid& id, std::string& out) {
  static const char digits[] = "0123456789abcdef";
  char text[36];
  size_t at = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) text[at++] = '-';
    uint64_t half = i < 16 ? id.first : id.second;
    text[at++] = digits[(half >> (60 - 4 * (i % 16))) & 0xf];
  }
  out.append(text, 36);
}

inline std::string uuid_text(const uuid& id) {
  std::string s;
  append_uuid(id, s);
  return s;
}

// A version-4-shaped UUID that is a function of (a, b): the ids of YSB's
// window keys and window lists, the same in every run and after a restart.
inline uuid derived_uuid(uint64_t a, uint64_t b) {
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t hi = mix(a * 0x9e3779b97f4a7c15ULL + b);
  uint64_t lo = mix(hi ^ (b + 0x632be59bd9b4e019ULL));
  hi = (hi & ~0xf000ULL) | 0x4000ULL;                                 // version 4
  lo = (lo & ~(0xc000000000000000ULL)) | 0x8000000000000000ULL;  // variant 10
  return {hi, lo};
}

}  // namespace ysb
