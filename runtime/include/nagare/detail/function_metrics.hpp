// A user function's metrics: a function given to map, filter or flat_map
// (and sources and sinks through subtask_info) that has
// `void open(nagare::metric_group&)` gets its operator's group there once,
// before the first record.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "nagare/detail/operator.hpp"
#include "nagare/metrics.hpp"

namespace nagare::detail {

template <class F, class = void>
struct has_metrics_open : std::false_type {};
template <class F>
struct has_metrics_open<
    F, std::void_t<decltype(std::declval<F&>().open(std::declval<metric_group&>()))>>
    : std::true_type {};

// The operator's group in `info`, made (unregistered) where the runtime did
// not set one: an operator driven by hand still gets one.
inline const std::shared_ptr<metric_group>& metrics_of(subtask_info& info) {
  if (!info.metrics) info.metrics = std::make_shared<metric_group>();
  return info.metrics;
}

// Calls f.open(group) if F has it; the group stays alive in `holder`.
template <class F>
void open_function_metrics(F& f, const subtask_info& info, std::shared_ptr<metric_group>& holder) {
  if constexpr (has_metrics_open<F>::value) {
    holder = info.metrics ? info.metrics : std::make_shared<metric_group>();
    f.open(*holder);
  } else {
    (void)f, (void)info, (void)holder;
  }
}

}  // namespace nagare::detail
