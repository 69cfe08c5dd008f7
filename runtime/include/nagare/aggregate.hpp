// Aggregators for keyed_stream::aggregate: an accumulator per key, built
// incrementally. An aggregator is any type with
//   using accumulator = ...;            // copyable
//   accumulator create() const;
//   void add(accumulator&, const In&) const;
//   auto result(const accumulator&) const;
#pragma once

#include <cstdint>
#include <utility>

namespace nagare {

// Counts records.
struct count {
  using accumulator = uint64_t;
  accumulator create() const { return 0; }
  template <class In>
  void add(accumulator& a, const In&) const {
    ++a;
  }
  uint64_t result(accumulator a) const { return a; }
};

// Sums value(record) as a signed 64-bit integer.
template <class ValueFn>
struct sum_of {
  using accumulator = int64_t;
  ValueFn value;
  accumulator create() const { return 0; }
  template <class In>
  void add(accumulator& a, const In& r) const {
    a += static_cast<int64_t>(value(r));
  }
  int64_t result(accumulator a) const { return a; }
};

template <class ValueFn>
sum_of<ValueFn> sum(ValueFn value) {
  return {std::move(value)};
}

}  // namespace nagare
