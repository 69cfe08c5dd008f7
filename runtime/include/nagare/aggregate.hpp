// Aggregators for keyed_stream::aggregate: an accumulator per key, built
// incrementally. An aggregator is any type with
//   using accumulator = ...;            // copyable
//   accumulator create() const;
//   void add(accumulator&, const In&) const;
//   auto result(const accumulator&) const;
//   void merge(accumulator&, const accumulator&) const;  // optional
// merge() adds the second accumulator into the first; aggregating session
// windows, which merge, need it.
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
  void merge(accumulator& a, accumulator b) const { a += b; }
};

// Sums value(record) in a V (default: signed 64-bit integer; sum<double>(f) for fractions).
template <class V, class ValueFn>
struct sum_of {
  using accumulator = V;
  ValueFn value;
  accumulator create() const { return V{}; }
  template <class In>
  void add(accumulator& a, const In& r) const {
    a += static_cast<V>(value(r));
  }
  V result(accumulator a) const { return a; }
  void merge(accumulator& a, const accumulator& b) const { a += b; }
};

template <class V = int64_t, class ValueFn>
sum_of<V, ValueFn> sum(ValueFn value) {
  return {std::move(value)};
}

}  // namespace nagare
