// The keys of the keyed-count benchmark, shared by the job and the
// hand-written baseline loop so that both count exactly the same stream.
#pragma once

#include <cstdint>

#include <nagare/hash.hpp>

namespace nagare::bench {

inline uint64_t key(uint64_t seed, uint64_t i, uint64_t keys) {
  return mix64(seed * 0x9e3779b97f4a7c15ULL + i) % keys;
}

}  // namespace nagare::bench
