// What a window keeps and what it emits when it fires: the window operators
// (detail/window_operator.hpp, detail/count_window_operator.hpp) are generic
// over a Contents type with
//   using accumulator = ...;   // kept per window in keyed state (needs a codec)
//   using result_type = ...;   // what a fired window emits, zero or more times
//   accumulator create();
//   void add(accumulator&, const T&);
//   void merge(accumulator&, const accumulator&);   // session windows only
//   template <class K, class Emit>
//   void fire(const K&, const time_window&, const accumulator&, Emit& emit);  // emit(result_type&)
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/collector.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/window_assigner.hpp"

namespace nagare::detail {

template <class Agg>
using window_aggregate_result_t = std::decay_t<decltype(std::declval<const Agg&>().result(
    std::declval<const typename Agg::accumulator&>()))>;

template <class Agg, class = void>
struct has_merge : std::false_type {};
template <class Agg>
struct has_merge<Agg, std::void_t<decltype(std::declval<const Agg&>().merge(
                          std::declval<typename Agg::accumulator&>(),
                          std::declval<const typename Agg::accumulator&>()))>> : std::true_type {};

// Incremental aggregation with an aggregator (nagare/aggregate.hpp): one
// accumulator per window, one result per firing.
template <class T, class Agg>
struct aggregate_contents {
  using accumulator = typename Agg::accumulator;
  using result_type = window_aggregate_result_t<Agg>;
  Agg agg;

  accumulator create() { return agg.create(); }
  void add(accumulator& a, const T& r) { agg.add(a, r); }
  void merge(accumulator& a, const accumulator& b) { agg.merge(a, b); }
  template <class K, class Emit>
  void fire(const K&, const time_window&, const accumulator& a, Emit& emit) {
    result_type r = agg.result(a);
    emit(r);
  }
};

// reduce(f) as an aggregator over T: the accumulator is the reduction so far
// (empty before the first record), f(const T&, const T&) -> T.
template <class T, class F>
struct reduce_aggregator {
  using accumulator = std::optional<T>;
  F f;
  accumulator create() const { return std::nullopt; }
  void add(accumulator& a, const T& r) const {
    if (a)
      *a = f(static_cast<const T&>(*a), r);
    else
      a = r;
  }
  void merge(accumulator& a, const accumulator& b) const {
    if (!b) return;
    if (a)
      *a = f(static_cast<const T&>(*a), *b);
    else
      a = b;
  }
  T result(const accumulator& a) const { return *a; }
};

// Hands what a collector emits to `emit`.
template <class Out, class Emit>
class emit_port final : public input_port<Out> {
 public:
  explicit emit_port(Emit& emit) : emit_(emit) {}
  void push(Out& r) override { emit_(r); }

 private:
  Emit& emit_;
};

// A full-window function: the window keeps its records (in arrival order;
// merged sessions concatenate theirs in window order), and a firing calls
//   f(const K&, const nagare::time_window&, const std::vector<T>&, nagare::collector<Out>&)
template <class T, class Out, class F>
struct process_contents {
  using accumulator = std::vector<T>;
  using result_type = Out;
  F f;

  accumulator create() { return {}; }
  void add(accumulator& a, const T& r) { a.push_back(r); }
  void merge(accumulator& a, const accumulator& b) { a.insert(a.end(), b.begin(), b.end()); }
  template <class K, class Emit>
  void fire(const K& key, const time_window& w, const accumulator& a, Emit& emit) {
    emit_port<Out, Emit> port(emit);
    collector<Out> out(&port);
    f(key, w, a, out);
  }
};

}  // namespace nagare::detail
