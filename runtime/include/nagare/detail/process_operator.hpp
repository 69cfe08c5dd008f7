// keyed_stream::process: a user function with keyed state.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/collector.hpp"
#include "nagare/detail/keyed_operator.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/detail/operator_state.hpp"
#include "nagare/state.hpp"

namespace nagare::detail {

// A keyed process function: user code with keyed (and operator) state that
// sees every record with its key and emits any number of records. F is either
// a type with
//   void open(nagare::state_context&);   // optional: declares the states
//   void process(const T&, nagare::keyed_context<K>&, nagare::collector<Out>&);
// or a callable with process's signature (a function without state).
template <class T, class Out, class KeyFn, class F>
class process_operator final : public keyed_operator<T, Out, KeyFn> {
  using K = key_of_t<KeyFn, T>;

 public:
  process_operator(KeyFn key, F f)
      : keyed_operator<T, Out, KeyFn>(std::move(key)), f_(std::move(f)) {}
  void push(T& r) override {
    K key;
    this->select(r, key, false);
    collector<Out> out(this->next_);
    keyed_context<K> ctx(&key, &this->info_);
    if constexpr (has_process<F>::value)
      f_.process(static_cast<const T&>(r), ctx, out);
    else
      f_(static_cast<const T&>(r), ctx, out);
  }

 private:
  template <class G, class = void>
  struct has_open : std::false_type {};
  template <class G>
  struct has_open<G, std::void_t<decltype(std::declval<G&>().open(std::declval<state_context&>()))>>
      : std::true_type {};
  template <class G, class = void>
  struct has_process : std::false_type {};
  template <class G>
  struct has_process<G, std::void_t<decltype(std::declval<G&>().process(
                            std::declval<const T&>(), std::declval<keyed_context<K>&>(),
                            std::declval<collector<Out>&>()))>> : std::true_type {};

  status declare(state_context& ctx) override {
    if constexpr (has_open<F>::value) f_.open(ctx);
    return {};
  }
  F f_;
};

}  // namespace nagare::detail
