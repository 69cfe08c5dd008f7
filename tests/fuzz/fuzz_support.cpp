#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>

#include "nagare/hash.hpp"

namespace nagare::fuzz {

namespace {
failure_handler handler = nullptr;
}  // namespace

void reseal(std::string& bytes, size_t at, size_t end) {
  constexpr size_t header = 16;
  if (end > bytes.size() || at + header > end) return;
  uint64_t sum = hash_bytes(bytes.data() + at + header, end - at - header);
  for (int i = 0; i < 8; ++i) bytes[at + 8 + i] = static_cast<char>((sum >> (8 * i)) & 0xff);
}

namespace {
uint64_t le64(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}
}  // namespace

// Version 3 frames carry their length after the header; the older versions
// are one buffer.
std::string reseal_snapshot(std::string s) {
  size_t at = 0;
  while (at + 24 <= s.size() && s.compare(at, 4, "NGSN") == 0) {
    if ((le64(s, at + 4) & 0xffffffffu) != 3) {
      reseal(s, at, s.size());
      break;
    }
    const auto n = le64(s, at + 16);
    if (n > s.size() - at - 24) break;
    reseal(s, at, at + 24 + n);
    at += 24 + n;
  }
  return s;
}

void set_failure_handler(failure_handler h) { handler = h; }

void fail(const char* target, const std::string& what) {
  std::string message = std::string("fuzz target ") + target + ": invariant broken: " + what;
  if (handler) handler(message);
  std::fprintf(stderr, "%s\n", message.c_str());
  std::abort();
}

}  // namespace nagare::fuzz
