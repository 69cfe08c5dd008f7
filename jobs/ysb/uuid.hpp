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

namespace detail {

// The value of each byte as a hex digit, 0xff for other bytes.
struct hex_table {
  uint8_t value[256];
  constexpr hex_table() : value() {
    for (int i = 0; i < 256; ++i) value[i] = 0xff;
    for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<uint8_t>(i);
    for (int i = 0; i < 6; ++i) {
      value['a' + i] = static_cast<uint8_t>(10 + i);
      value['A' + i] = static_cast<uint8_t>(10 + i);
    }
  }
};
inline constexpr hex_table hex{};

// Folds `n` hex digits at `p` into `acc`; `bad` collects the 0xff of a non-digit.
inline void fold_hex(const char* p, int n, uint64_t& acc, uint8_t& bad) {
  for (int i = 0; i < n; ++i) {
    uint8_t d = hex.value[static_cast<unsigned char>(p[i])];
    bad |= d;
    acc = (acc << 4) | (d & 0xf);
  }
}

}  // namespace detail

// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; false for anything else. One
// table load per digit and no branch per character: it runs once or twice per
// view.
inline bool parse_uuid(std::string_view text, uuid& out) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-')
    return false;
  const char* p = text.data();
  uint64_t hi = 0, lo = 0;
  uint8_t bad = 0;
  detail::fold_hex(p, 8, hi, bad);
  detail::fold_hex(p + 9, 4, hi, bad);
  detail::fold_hex(p + 14, 4, hi, bad);
  detail::fold_hex(p + 19, 4, lo, bad);
  detail::fold_hex(p + 24, 12, lo, bad);
  if (bad & 0xf0) return false;
  out = {hi, lo};
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
