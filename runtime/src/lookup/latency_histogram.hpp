// Round-trip latencies of a lookup, in microseconds, for percentiles: four
// buckets per power of two (the value reported is its bucket's upper bound,
// less than 25% above the true one). Recorded by one thread, read by any.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace nagare::detail {

class latency_histogram {
 public:
  void record(uint64_t us);
  // The smallest bucket bound below which at least `fraction` of the
  // recorded values lie, at most the largest value (0 when there are none).
  uint64_t percentile(double fraction) const;
  uint64_t max() const { return max_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t buckets = 4 * 64;
  static size_t bucket_of(uint64_t us);
  static uint64_t upper_bound(size_t bucket);
  std::array<std::atomic<uint64_t>, buckets> counts_{};
  std::atomic<uint64_t> max_{0};
};

}  // namespace nagare::detail
