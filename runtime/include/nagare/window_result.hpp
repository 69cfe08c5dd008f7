// What a window operator emits per fired window (nagare/window.hpp): the key,
// the window's bounds and the result. For time windows [start, end); for
// count windows start and end are the smallest and largest timestamp of the
// window's records.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "nagare/codec.hpp"

namespace nagare {

template <class K, class R>
struct window_result {
  K key{};
  int64_t start = 0;
  int64_t end = 0;
  R value{};

  bool operator==(const window_result& o) const {
    return start == o.start && end == o.end && key == o.key && value == o.value;
  }
  bool operator!=(const window_result& o) const { return !(*this == o); }
};

namespace detail {
template <class K, class R>
struct structural<window_result<K, R>> : std::true_type {};
}  // namespace detail

// codec<K>, start, end, codec<R>.
template <class K, class R>
struct codec<window_result<K, R>> {
  static void encode(const window_result<K, R>& x, std::string& out) {
    codec<K>::encode(x.key, out);
    codec<int64_t>::encode(x.start, out);
    codec<int64_t>::encode(x.end, out);
    codec<R>::encode(x.value, out);
  }
  static bool decode(byte_reader& in, window_result<K, R>& x) {
    return codec<K>::decode(in, x.key) && codec<int64_t>::decode(in, x.start) &&
           codec<int64_t>::decode(in, x.end) && codec<R>::decode(in, x.value);
  }
};

}  // namespace nagare
