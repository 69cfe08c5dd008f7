// Stable hashing and key groups. Hashes must be identical in every process and
// every build, because they decide which subtask owns a key and under which key
// group its state is stored (so a savepoint can be restored with another
// parallelism). std::hash gives no such promise, so Nagare has its own.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace nagare {

// SplitMix64's finalizer: a bijective, well-mixing 64-bit step.
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Hash of a byte string, eight bytes per step.
inline uint64_t hash_bytes(const void* data, size_t size, uint64_t seed = 0x9e3779b97f4a7c15ULL) {
  auto p = static_cast<const unsigned char*>(data);
  uint64_t h = seed ^ (size * 0xff51afd7ed558ccdULL);
  while (size >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix64(h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    p += 8;
    size -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, size);
  return mix64(h ^ tail ^ (uint64_t{size} << 56));
}

// key_hash<K>: the stable hash of a key. Specialize it for your own key types.
template <class K, class = void>
struct key_hash;

template <class K>
struct key_hash<K, std::enable_if_t<std::is_integral_v<K> || std::is_enum_v<K>>> {
  uint64_t operator()(K k) const { return mix64(static_cast<uint64_t>(k)); }
};

template <>
struct key_hash<std::string> {
  uint64_t operator()(std::string_view s) const { return hash_bytes(s.data(), s.size()); }
};

template <class A, class B>
struct key_hash<std::pair<A, B>> {
  uint64_t operator()(const std::pair<A, B>& k) const {
    return mix64(key_hash<A>{}(k.first) * 31 + key_hash<B>{}(k.second));
  }
};

inline constexpr uint32_t default_max_parallelism = 128;

// The key group of a hash: the unit in which keyed state is stored and moved.
// A power-of-two max_parallelism (the default) takes a mask instead of a
// division: the same result, without a 64-bit division per record in an
// exchange writer.
constexpr uint32_t key_group_of(uint64_t hash, uint32_t max_parallelism) {
  if (max_parallelism != 0 && (max_parallelism & (max_parallelism - 1)) == 0)
    return static_cast<uint32_t>(hash & (max_parallelism - 1));
  return static_cast<uint32_t>(hash % max_parallelism);
}

// The subtask that owns a key group (a shift for a power-of-two
// max_parallelism).
constexpr uint32_t subtask_of(uint32_t key_group, uint32_t max_parallelism, uint32_t parallelism) {
  if (max_parallelism != 0 && (max_parallelism & (max_parallelism - 1)) == 0)
    return static_cast<uint32_t>((uint64_t{key_group} * parallelism) >>
                                 __builtin_ctz(max_parallelism));
  return static_cast<uint32_t>(uint64_t{key_group} * parallelism / max_parallelism);
}

// The contiguous key groups [first, last) that `subtask` owns; the inverse of subtask_of.
struct key_group_range {
  uint32_t first = 0;
  uint32_t last = 0;
  uint32_t size() const { return last - first; }
  bool contains(uint32_t kg) const { return kg >= first && kg < last; }
};

constexpr key_group_range key_groups_of(uint32_t subtask, uint32_t max_parallelism,
                                        uint32_t parallelism) {
  auto first = (uint64_t{subtask} * max_parallelism + parallelism - 1) / parallelism;
  auto last = (uint64_t{subtask + 1} * max_parallelism + parallelism - 1) / parallelism;
  return {static_cast<uint32_t>(first), static_cast<uint32_t>(last)};
}

}  // namespace nagare
