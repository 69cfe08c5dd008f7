// SHA-256 (FIPS 180-4) of a byte string, through OpenSSL's libcrypto: the
// content hash that names a job library (library_hash.hpp) wherever it is
// stored or cached. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace nagare {

// The 32-byte digest as 64 lower-case hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace nagare
