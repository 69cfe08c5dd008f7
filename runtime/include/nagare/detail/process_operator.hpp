// keyed_stream::process: a user function with keyed state and timers.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/collector.hpp"
#include "nagare/detail/keyed_operator.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/detail/operator_state.hpp"
#include "nagare/detail/timed_operator.hpp"
#include "nagare/state.hpp"
#include "nagare/time.hpp"

namespace nagare::detail {

// A keyed process function: user code with keyed (and operator) state and
// timers that sees every record with its key and emits any number of
// records. F is either a type with
//   void open(nagare::state_context&);   // optional: declares the states
//   void process(const T&, nagare::keyed_context<K>&, nagare::collector<Out>&);
//   void on_timer(int64_t time, nagare::time_domain, nagare::keyed_context<K>&,
//                 nagare::collector<Out>&);   // optional: a timer of the key fired
// or a callable with process's signature (a function without state).
// `timestamps` gives keyed_context::timestamp() (null: min_timestamp).
template <class T, class Out, class KeyFn, class F>
class process_operator final : public timed_operator<T, Out, KeyFn> {
  using K = key_of_t<KeyFn, T>;

 public:
  process_operator(KeyFn key, F f, timestamps_of<T> timestamps = nullptr)
      : timed_operator<T, Out, KeyFn>(std::move(key)),
        f_(std::move(f)),
        timestamps_(std::move(timestamps)) {}
  void push(T& r) override {
    K key;
    this->select(r, key, false);
    process(r, key);
  }
  void push_batch(T* records, size_t n) override {
    this->for_each_keyed(records, n, [this](T& r, const K& key, uint64_t hash) {
      this->select_key(key, hash, false);
      process(r, key);
    });
  }

 private:
  // Calls the user's process for `r`, whose key `key` is current.
  void process(const T& r, const K& key) {
    collector<Out> out(this->next_);
    keyed_context<K> ctx(&key, &this->info_, this,
                         timestamps_ ? timestamps_(static_cast<const T&>(r)) : min_timestamp);
    if constexpr (has_process<F>::value)
      f_.process(static_cast<const T&>(r), ctx, out);
    else
      f_(static_cast<const T&>(r), ctx, out);
  }

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
  template <class G, class = void>
  struct has_on_timer : std::false_type {};
  template <class G>
  struct has_on_timer<G, std::void_t<decltype(std::declval<G&>().on_timer(
                             int64_t{}, time_domain::event_time, std::declval<keyed_context<K>&>(),
                             std::declval<collector<Out>&>()))>> : std::true_type {};

  status declare(state_context& ctx) override {
    if constexpr (has_open<F>::value) f_.open(ctx);
    return {};
  }
  void on_timer(time_domain d, int64_t time, const K& key) override {
    if constexpr (has_on_timer<F>::value) {
      collector<Out> out(this->next_);
      keyed_context<K> ctx(&key, &this->info_, this, time);
      f_.on_timer(time, d, ctx, out);
    } else {
      (void)d, (void)time, (void)key;
    }
  }
  F f_;
  timestamps_of<T> timestamps_;
};

}  // namespace nagare::detail
