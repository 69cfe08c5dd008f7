// SHA-256 and the library hash: part of the on-disk format (cache file names,
// metadata keys, job records), so every expected value here was computed
// outside Nagare (FIPS 180-4's examples, coreutils' sha256sum).
#include <gtest/gtest.h>

#include <string>

#include "library_hash.hpp"
#include "sha256.hpp"

namespace nagare {
namespace {

using namespace std::string_literals;

// The FIPS 180-4 / NIST examples, the empty string and a million 'a'.
TEST(sha256, known_test_vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Bytes after a NUL count (the input is a byte string, not a C string).
TEST(sha256, hashes_every_byte) {
  EXPECT_NE(sha256_hex("\0"s), sha256_hex(""));
  EXPECT_NE(sha256_hex("a\0b"s), sha256_hex("a"));
}

// A library's hash is its SHA-256 (sha256sum of the same bytes).
TEST(library_hash, is_sha256_of_the_bytes) {
  EXPECT_EQ(library_hash("nagare job library"),
            "afbd1363d35ade3cb189f358e6e761195df317f2fe3763b1687603666a2a286e");
  EXPECT_EQ(library_hash("nagare job librarz"),
            "4a82606e13dc069d92e64d9cc2b0a88c0ed1f87728a6ae54b865172c395a4da9");
}

// The form of a hash: 64 lower-case hex digits; the old one 32.
TEST(library_hash, forms) {
  EXPECT_TRUE(is_library_hash(library_hash("x")));
  EXPECT_FALSE(is_library_hash(std::string(63, 'a')));
  EXPECT_FALSE(is_library_hash(std::string(64, 'A')));
  EXPECT_FALSE(is_library_hash("../" + std::string(61, 'a')));
  EXPECT_FALSE(is_library_hash("linked:wordcount"));
  EXPECT_TRUE(is_legacy_library_hash("fc9df1539dd3116c1b7c19d677dc55a2"));
  EXPECT_FALSE(is_legacy_library_hash(library_hash("x")));
  EXPECT_FALSE(is_library_hash("fc9df1539dd3116c1b7c19d677dc55a2"));
}

// The hash of builds before SHA-256 is unchanged (stored data is verified
// with it): the values that build's tests pinned.
TEST(legacy_library_hash, matches_the_earlier_build) {
  EXPECT_EQ(legacy_library_hash("nagare job library"), "fc9df1539dd3116c1b7c19d677dc55a2");
  EXPECT_EQ(legacy_library_hash(""), "e0147c9ebf16563735a0404347dedf71");
}

}  // namespace
}  // namespace nagare
