// The greatest common divisor (std::gcd without <numeric> in every job).
#pragma once

#include <cstdint>

namespace nagare::detail {

// gcd(a, 0) == a; gcd(0, 0) == 0.
constexpr uint64_t gcd(uint64_t a, uint64_t b) {
  while (b != 0) {
    uint64_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

}  // namespace nagare::detail
