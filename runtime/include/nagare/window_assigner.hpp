// Window assigners: which windows of its key a record belongs to. Used with
// keyed_stream::window() (nagare/window.hpp).
//
// Time windows are [start, end) in milliseconds; their largest timestamp
// (max_timestamp()) is end - 1.
//  - tumbling(size): the window [ts - floor_mod(ts, size), ... + size);
//  - sliding(size, slide): every window [start, start + size) whose start is
//    a multiple of `slide` with start <= ts < start + size (none when the
//    slide is larger than the size and ts falls between windows);
//  - session(gap): a record opens [ts, ts + gap); windows of a key that
//    overlap or touch (a.start <= b.end && b.start <= a.end) merge into
//    [min start, max end), so a session runs from its smallest timestamp to
//    its largest timestamp + gap;
//  - count(n): a key's next n records in arrival order; the window's start
//    and end are the smallest and the largest timestamp among them (end is
//    included here, unlike in time windows).
// Event-time variants use the record's timestamp (the stream's timestamp
// function, required); processing-time variants use the operator's
// processing time at the record's arrival. Count windows use the timestamps
// only for start and end (min_timestamp when the stream has none).
#pragma once

#include <cstdint>
#include <string>

#include "nagare/status.hpp"
#include "nagare/time.hpp"

namespace nagare {

// A time window [start, end).
struct time_window {
  int64_t start = 0;
  int64_t end = 0;
  int64_t max_timestamp() const { return end - 1; }
  bool operator==(const time_window& o) const { return start == o.start && end == o.end; }
  bool operator!=(const time_window& o) const { return !(*this == o); }
};

// Tumbling (slide == size) and sliding time windows.
struct sliding_window_assigner {
  int64_t size = 0;
  int64_t slide = 0;
  time_domain domain = time_domain::event_time;
  status validate() const {
    if (size <= 0 || slide <= 0)
      return status(errc::invalid_argument, "a time window needs a positive size and slide (got " +
                                                std::to_string(size) + ", " +
                                                std::to_string(slide) + ")");
    return {};
  }
};

// Session windows: a key's records closer than `gap` to each other.
struct session_window_assigner {
  int64_t gap = 0;
  time_domain domain = time_domain::event_time;
  status validate() const {
    if (gap <= 0)
      return status(errc::invalid_argument,
                    "a session window needs a positive gap (got " + std::to_string(gap) + ")");
    return {};
  }
};

// Count windows: a key's next `size` records.
struct count_window_assigner {
  uint64_t size = 0;
  status validate() const {
    if (size == 0) return status(errc::invalid_argument, "a count window needs a positive size");
    return {};
  }
};

inline sliding_window_assigner tumbling_event_time_windows(int64_t size) {
  return {size, size, time_domain::event_time};
}
inline sliding_window_assigner sliding_event_time_windows(int64_t size, int64_t slide) {
  return {size, slide, time_domain::event_time};
}
inline sliding_window_assigner tumbling_processing_time_windows(int64_t size) {
  return {size, size, time_domain::processing_time};
}
inline sliding_window_assigner sliding_processing_time_windows(int64_t size, int64_t slide) {
  return {size, slide, time_domain::processing_time};
}
inline session_window_assigner event_time_session_windows(int64_t gap) {
  return {gap, time_domain::event_time};
}
inline session_window_assigner processing_time_session_windows(int64_t gap) {
  return {gap, time_domain::processing_time};
}
inline count_window_assigner count_windows(uint64_t size) { return {size}; }

}  // namespace nagare
