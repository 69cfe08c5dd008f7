#include "library_hash.hpp"

#include <cstdio>

#include "nagare/hash.hpp"
#include "sha256.hpp"

namespace nagare {

namespace {
bool is_hex(std::string_view text, size_t digits) {
  if (text.size() != digits) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
}  // namespace

std::string library_hash(std::string_view bytes) { return sha256_hex(bytes); }

bool is_library_hash(std::string_view text) { return is_hex(text, 64); }

std::string legacy_library_hash(std::string_view bytes) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx",
                static_cast<unsigned long long>(
                    hash_bytes(bytes.data(), bytes.size(), 0x6e61676172650001ULL)),
                static_cast<unsigned long long>(
                    hash_bytes(bytes.data(), bytes.size(), 0x6e61676172650002ULL)));
  return buf;
}

bool is_legacy_library_hash(std::string_view text) { return is_hex(text, 32); }

}  // namespace nagare
