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
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "nagare/codec.hpp"
#include "nagare/detail/one_input_operator.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/window_result.hpp"

namespace nagare::detail {

template <class K, class R, class T>
struct window_output {
  static constexpr size_t result_index = 0;
  static constexpr size_t late_index = 1;
  using variant_type = std::variant<window_result<K, R>, T>;
  // A window's result, or a record too late for every window.
  variant_type value;
};

// Passes on the alternative `I` of a window node's records and drops the rest.
template <class K, class R, class T, size_t I>
class window_part_operator final
    : public one_input_operator<
          window_output<K, R, T>,
          std::variant_alternative_t<I, typename window_output<K, R, T>::variant_type>> {
 public:
  void push(window_output<K, R, T>& r) override {
    if (r.value.index() == I) this->next_->push(std::get<I>(r.value));
  }
};

// The writer of an exchange from a window node to its part node `I` (when
// the part runs in another task): it batches only the records of that part,
// so results do not travel to the late records' task nor the other way.
template <class K, class R, class T, size_t I>
class window_part_writer final : public exchange_writer, public input_port<window_output<K, R, T>> {
  using output = window_output<K, R, T>;

 public:
  explicit window_part_writer(std::unique_ptr<exchange_writer> inner)
      : inner_(std::move(inner)), in_(static_cast<input_port<output>*>(inner_->input())) {}
  void* input() override { return static_cast<input_port<output>*>(this); }
  void push(output& r) override {
    if (r.value.index() == I) in_->push(r);
  }
  void flush() override { inner_->flush(); }

 private:
  std::unique_ptr<exchange_writer> inner_;
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
    out.push_back(static_cast<char>(x.value.index()));
    if (x.value.index() == output::result_index)
      codec<window_result<K, R>>::encode(std::get<output::result_index>(x.value), out);
    else
      codec<T>::encode(std::get<output::late_index>(x.value), out);
  }
  static bool decode(byte_reader& in, output& x) {
    uint8_t index = 0;
    if (!in.read(&index, 1)) return false;
    if (index == output::result_index)
      return codec<window_result<K, R>>::decode(in,
                                                x.value.template emplace<output::result_index>());
    if (index == output::late_index)
      return codec<T>::decode(in, x.value.template emplace<output::late_index>());
    return false;
  }
};

}  // namespace nagare
