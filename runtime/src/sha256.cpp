#include "sha256.hpp"

#include <openssl/sha.h>

namespace nagare {

std::string sha256_hex(std::string_view bytes) {
  // libcrypto's one-shot SHA256() computes in place: no context to allocate,
  // no provider to fetch, no failure to report.
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex(2 * SHA256_DIGEST_LENGTH, '0');
  for (size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace nagare
