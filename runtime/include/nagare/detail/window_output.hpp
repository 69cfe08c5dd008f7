// What a window node emits: one stream that carries both its results and its
// late records (the side output), each record tagged with which it is. The
// handles' results() and late_records() (nagare/window.hpp) each add a node
// that keeps its part (window_part_operator), so side outputs need nothing
// from the planner. When both are used the parts run in tasks of their own,
// and the exchange to each carries only its part (window_part_writer). The
// tagged record has a codec, so it may cross processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "nagare/codec.hpp"
#include "nagare/detail/one_input_operator.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/owned.hpp"
#include "nagare/window_result.hpp"

namespace nagare::detail {

// A window's result (index == result_index), or a record too late for every
// window (index == late_index); the other member stays default-constructed.
template <class K, class R, class T>
struct window_output {
  static constexpr size_t result_index = 0;
  static constexpr size_t late_index = 1;
  uint8_t index = result_index;
  window_result<K, R> result;
  T late;

  static window_output of_result(window_result<K, R> r) {
    window_output o;
    o.result = std::move(r);
    return o;
  }
  static window_output of_late(T r) {
    window_output o;
    o.index = late_index;
    o.late = std::move(r);
    return o;
  }
  // Same alternative, same value.
  bool operator==(const window_output& o) const {
    if (index != o.index) return false;
    return index == result_index ? result == o.result : late == o.late;
  }
  // The member of alternative I.
  template <size_t I>
  auto& part() {
    if constexpr (I == result_index)
      return result;
    else
      return late;
  }
};

// The record type of alternative I of window_output<K, R, T>.
template <class K, class R, class T, size_t I>
using window_part_t =
    std::conditional_t<I == window_output<K, R, T>::result_index, window_result<K, R>, T>;

// Passes on the alternative `I` of a window node's records and drops the rest.
template <class K, class R, class T, size_t I>
class window_part_operator final
    : public one_input_operator<window_output<K, R, T>, window_part_t<K, R, T, I>> {
 public:
  void push(window_output<K, R, T>& r) override {
    if (r.index == I) this->next_->push(r.template part<I>());
  }
};

// The writer of an exchange from a window node to its part node `I` (when
// the part runs in another task): it batches only the records of that part,
// so results do not travel to the late records' task nor the other way.
template <class K, class R, class T, size_t I>
class window_part_writer final : public exchange_writer, public input_port<window_output<K, R, T>> {
  using output = window_output<K, R, T>;

 public:
  explicit window_part_writer(owned<exchange_writer> inner)
      : inner_(std::move(inner)), in_(static_cast<input_port<output>*>(inner_->input())) {}
  void* input() override { return static_cast<input_port<output>*>(this); }
  void push(output& r) override {
    if (r.index == I) in_->push(r);
  }
  void flush() override { inner_->flush(); }

 private:
  owned<exchange_writer> inner_;
  input_port<output>* in_;
};

}  // namespace nagare::detail

namespace nagare {

namespace detail {
template <class K, class R, class T>
struct structural<window_output<K, R, T>> : std::true_type {};
}  // namespace detail

// A byte (which alternative), then its codec.
template <class K, class R, class T>
struct codec<detail::window_output<K, R, T>> {
  using output = detail::window_output<K, R, T>;
  static void encode(const output& x, std::string& out) {
    out.push_back(static_cast<char>(x.index));
    if (x.index == output::result_index)
      codec<window_result<K, R>>::encode(x.result, out);
    else
      codec<T>::encode(x.late, out);
  }
  static bool decode(byte_reader& in, output& x) {
    if (!in.read(&x.index, 1)) return false;
    if (x.index == output::result_index) return codec<window_result<K, R>>::decode(in, x.result);
    if (x.index == output::late_index) return codec<T>::decode(in, x.late);
    return false;
  }
};

}  // namespace nagare
