#include "lookup/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace nagare::detail {

size_t latency_histogram::bucket_of(uint64_t us) {
  if (us < 4) return us;
  int log = 63 - __builtin_clzll(us);            // 2^log <= us < 2^(log+1), log >= 2
  uint64_t quarter = (us >> (log - 2)) & 3;      // which quarter of that octave
  return 4 * static_cast<size_t>(log - 1) + quarter;
}

uint64_t latency_histogram::upper_bound(size_t bucket) {
  if (bucket < 4) return bucket;
  size_t log = bucket / 4 + 1;
  uint64_t quarter = bucket % 4;
  return (uint64_t{4} + quarter + 1) << (log - 2);
}

void latency_histogram::record(uint64_t us) {
  counts_[bucket_of(us)].fetch_add(1, std::memory_order_relaxed);
  if (us > max_.load(std::memory_order_relaxed)) max_.store(us, std::memory_order_relaxed);
}

uint64_t latency_histogram::percentile(double fraction) const {
  uint64_t total = 0;
  for (const auto& c : counts_) total += c.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  auto wanted = static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(total)));
  if (wanted == 0) wanted = 1;
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets; ++b) {
    seen += counts_[b].load(std::memory_order_relaxed);
    if (seen >= wanted) return std::min(upper_bound(b), max());
  }
  return max();
}

}  // namespace nagare::detail
