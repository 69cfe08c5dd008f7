// Stable hashing and key groups: which subtask owns a key, and under which key
// group its state is stored. Both are part of the savepoint format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/hash.hpp"

namespace nagare {
namespace {

// Every key group belongs to exactly one subtask, and the subtask's range is
// exactly the key groups subtask_of maps to it: contiguous, in subtask order,
// covering [0, max_parallelism).
void check_inverse(uint32_t max_parallelism, uint32_t parallelism) {
  SCOPED_TRACE("max_parallelism " + std::to_string(max_parallelism) + ", parallelism " +
               std::to_string(parallelism));
  uint32_t next = 0;
  for (uint32_t s = 0; s < parallelism; ++s) {
    auto r = key_groups_of(s, max_parallelism, parallelism);
    ASSERT_EQ(r.first, next) << "subtask " << s;
    ASSERT_LE(r.first, r.last) << "subtask " << s;
    // Nobody is left without key groups while parallelism <= max parallelism.
    ASSERT_GE(r.size(), 1u) << "subtask " << s;
    for (uint32_t kg = r.first; kg < r.last; ++kg)
      ASSERT_EQ(subtask_of(kg, max_parallelism, parallelism), s);
    next = r.last;
  }
  ASSERT_EQ(next, max_parallelism);
  // contains() agrees: each key group is in exactly one range (skipped when quadratic cost is too
  // high).
  if (uint64_t{max_parallelism} * parallelism > 4'000'000) return;
  for (uint32_t kg = 0; kg < max_parallelism; ++kg) {
    uint32_t owners = 0;
    for (uint32_t s = 0; s < parallelism; ++s)
      owners += key_groups_of(s, max_parallelism, parallelism).contains(kg);
    ASSERT_EQ(owners, 1u) << "key group " << kg;
  }
}

// key_groups_of is the exact inverse of subtask_of for every parallelism up to small max
// parallelisms.
TEST(hash, key_groups_of_inverts_subtask_of_exhaustively) {
  for (uint32_t max : {1u, 2u, 3u, 7u, 10u, 64u, 100u, 128u})
    for (uint32_t p = 1; p <= max; ++p) check_inverse(max, p);
}

// key_groups_of inverts subtask_of for large max parallelisms and awkward parallelisms.
TEST(hash, key_groups_of_inverts_subtask_of_for_large_max) {
  for (uint32_t max : {1000u, 4096u, 32768u})
    for (uint32_t p : {1u, 2u, 3u, 7u, 13u, 127u, 999u, 1000u})
      if (p <= max) check_inverse(max, p);
  check_inverse(32768, 32768);
  check_inverse(32768, 32767);
}

// Ranges are balanced: sizes differ by at most one key group.
TEST(hash, key_group_ranges_are_balanced) {
  for (uint32_t max : {7u, 128u, 1000u}) {
    for (uint32_t p = 1; p <= max; p += 3) {
      uint32_t lo = max, hi = 0;
      for (uint32_t s = 0; s < p; ++s) {
        auto n = key_groups_of(s, max, p).size();
        lo = std::min(lo, n);
        hi = std::max(hi, n);
      }
      EXPECT_LE(hi - lo, 1u) << "max " << max << " p " << p;
    }
  }
}

// Hand-computed ranges: 10 key groups over 3 subtasks are [0,4) [4,7) [7,10).
TEST(hash, key_groups_of_known_split) {
  EXPECT_EQ(key_groups_of(0, 10, 3).first, 0u);
  EXPECT_EQ(key_groups_of(0, 10, 3).last, 4u);
  EXPECT_EQ(key_groups_of(1, 10, 3).first, 4u);
  EXPECT_EQ(key_groups_of(1, 10, 3).last, 7u);
  EXPECT_EQ(key_groups_of(2, 10, 3).first, 7u);
  EXPECT_EQ(key_groups_of(2, 10, 3).last, 10u);
  EXPECT_EQ(subtask_of(127, 128, 4), 3u);
  EXPECT_EQ(subtask_of(32, 128, 4), 1u);
  EXPECT_EQ(subtask_of(31, 128, 4), 0u);
}

// mix64 is SplitMix64's finalizer: its first output for seed 0 is the published 0xe220a8397b1dcdaf.
TEST(hash, mix64_matches_splitmix64) {
  EXPECT_EQ(mix64(0x9e3779b97f4a7c15ULL), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(mix64(0), 0u);
}

// Golden hashes pinned once: a change here moves keys between key groups and
// breaks every savepoint written before it.
TEST(hash, key_hash_is_stable) {
  EXPECT_EQ(key_hash<std::string>{}(""), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(key_hash<std::string>{}("a"), 0x05713ba975f21707ULL);
  EXPECT_EQ(key_hash<std::string>{}("hello"), 0x4ca66b50641222e3ULL);
  EXPECT_EQ(key_hash<std::string>{}("nagare stream processing!"), 0x0c57bc47697197d8ULL);
  EXPECT_EQ(key_hash<uint64_t>{}(42), 0xa759ea27d4727622ULL);
  EXPECT_EQ(key_hash<int32_t>{}(-1), 0xb4d055fcf2cbbd7bULL);
  EXPECT_EQ((key_hash<std::pair<std::string, uint64_t>>{}({"user", 7})), 0x64451d65146c7621ULL);
}

// Key groups of pinned keys: what a savepoint with max parallelism 128 stores them under.
TEST(hash, key_groups_of_known_keys_are_stable) {
  EXPECT_EQ(key_group_of(key_hash<std::string>{}(""), 128), 47u);
  EXPECT_EQ(key_group_of(key_hash<std::string>{}("a"), 128), 7u);
  EXPECT_EQ(key_group_of(key_hash<std::string>{}("hello"), 128), 99u);
  EXPECT_EQ(key_group_of(key_hash<std::string>{}("nagare stream processing!"), 128), 88u);
}

// The hash of a string depends only on its bytes, not on where they live or
// on trailing bytes beyond its length.
TEST(hash, string_hash_depends_only_on_the_bytes) {
  std::string buf = "xxhello-world";
  EXPECT_EQ(key_hash<std::string>{}(std::string_view(buf).substr(2, 5)),
            key_hash<std::string>{}("hello"));
  EXPECT_EQ(hash_bytes(buf.data() + 2, 5), hash_bytes("hello", 5));
  EXPECT_NE(key_hash<std::string>{}("hello"), key_hash<std::string>{}(std::string("hello\0", 6)));
}

// Strings that differ in one byte (in the 8-byte body or in the tail) hash differently.
TEST(hash, string_hash_sees_every_byte) {
  std::string base(21, 'k');
  auto h = key_hash<std::string>{}(base);
  for (size_t i = 0; i < base.size(); ++i) {
    auto s = base;
    s[i] = 'K';
    EXPECT_NE(key_hash<std::string>{}(s), h) << "byte " << i;
  }
}

// 100k distinct keys spread over 128 key groups: none empty, none above twice the mean.
TEST(hash, string_keys_spread_over_key_groups) {
  constexpr uint32_t groups = 128;
  constexpr uint32_t keys = 100000;
  std::vector<uint32_t> count(groups);
  for (uint32_t i = 0; i < keys; ++i)
    ++count[key_group_of(key_hash<std::string>{}("key-" + std::to_string(i)), groups)];
  const double mean = double(keys) / groups;
  for (uint32_t g = 0; g < groups; ++g) {
    EXPECT_GT(count[g], 0u) << "key group " << g;
    EXPECT_LE(count[g], 2 * mean) << "key group " << g;
  }
}

// Sequential integer keys spread over key groups too (no identity hash).
TEST(hash, integer_keys_spread_over_key_groups) {
  constexpr uint32_t groups = 128;
  constexpr uint32_t keys = 100000;
  std::vector<uint32_t> count(groups);
  for (uint64_t i = 0; i < keys; ++i)
    ++count[key_group_of(key_hash<uint64_t>{}(i * groups), groups)];
  const double mean = double(keys) / groups;
  for (uint32_t g = 0; g < groups; ++g) {
    EXPECT_GT(count[g], 0u) << "key group " << g;
    EXPECT_LE(count[g], 2 * mean) << "key group " << g;
  }
}

// Key groups and their subtasks are part of the savepoint format: the mask
// and shift taken for a power-of-two max parallelism give what the division
// gives, for every max parallelism up to 2^15 that is one and awkward ones.
TEST(hash, power_of_two_max_parallelism_equals_the_division) {
  uint64_t x = 5;
  for (uint32_t max = 1; max <= 32768; ++max) {
    const bool pow2 = (max & (max - 1)) == 0;
    if (!pow2 && max % 97 != 0) continue;
    for (int i = 0; i < 200; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      ASSERT_EQ(key_group_of(x, max), static_cast<uint32_t>(x % max)) << max;
      const uint32_t kg = static_cast<uint32_t>(x % max);
      for (uint32_t p : {1u, 2u, 3u, 7u, max}) {
        if (p > max) continue;
        ASSERT_EQ(subtask_of(kg, max, p), static_cast<uint32_t>(uint64_t{kg} * p / max))
            << max << " " << p;
      }
    }
  }
}

}  // namespace
}  // namespace nagare
