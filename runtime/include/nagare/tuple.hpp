// std::tuple records: their codec and their text in file and stdout sinks
// (fields tab-separated). Not part of nagare/nagare.hpp, so that <tuple>
// stays out of jobs that do not use it: include it for tuple records or
// tuple state.
#pragma once

#include <string>
#include <tuple>
#include <type_traits>

#include "nagare/codec.hpp"
#include "nagare/sink.hpp"

namespace nagare {

namespace detail {
template <class... Ts>
struct structural<std::tuple<Ts...>> : std::true_type {};
}  // namespace detail

template <class... Ts>
struct codec<std::tuple<Ts...>> {
  static void encode(const std::tuple<Ts...>& x, std::string& out) {
    std::apply([&](const auto&... e) { (codec<std::decay_t<decltype(e)>>::encode(e, out), ...); },
               x);
  }
  static bool decode(byte_reader& in, std::tuple<Ts...>& x) {
    return std::apply(
        [&](auto&... e) { return (codec<std::decay_t<decltype(e)>>::decode(in, e) && ...); }, x);
  }
};

template <class... Ts>
void format_record(const std::tuple<Ts...>& t, std::string& out) {
  size_t i = 0;
  std::apply([&](const auto&... e) { ((out += (i++ ? "\t" : ""), format_record(e, out)), ...); },
             t);
}

}  // namespace nagare
