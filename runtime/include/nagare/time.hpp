// Time in Nagare: event time is what a record's timestamp says, processing
// time is the clock of the machine that runs the operator. Both are signed
// milliseconds since the Unix epoch.
//
// A watermark W is a statement about event time: no record with a timestamp
// <= W is expected any more. Records that still come are late. Watermarks
// only grow; min_timestamp means "nothing known yet", max_timestamp "the
// input has ended".
#pragma once

#include <cstdint>

#include "nagare/function.hpp"

namespace nagare {

inline constexpr int64_t min_timestamp = INT64_MIN;
inline constexpr int64_t max_timestamp = INT64_MAX;

enum class time_domain : uint8_t { event_time = 0, processing_time = 1 };

// The event time of a record of type T.
template <class T>
using timestamp_fn = function<int64_t(const T&)>;

// How a stream's records carry event time: copied into the stream handles that
// keep the record type (filter, key_by), empty for a stream without timestamps.
template <class T>
using timestamps_of = timestamp_fn<T>;

namespace detail {
// Processing time now: milliseconds since the epoch by the machine's clock.
// (libnagare)
int64_t wall_clock_ms();
}  // namespace detail

}  // namespace nagare
