// Watermark strategies: how a source assigns event time to its records and
// generates watermarks from them (see nagare/time.hpp for what a watermark
// means).
//
//   job.source(nagare::text_file_source(paths),
//              nagare::watermark_strategy<std::string>::bounded_out_of_orderness(
//                  5000, [](const std::string& line) { return parse_ts(line); })
//                  .with_idleness(60000));
//
// A source generates watermarks per split (a file of a text file source, for
// instance), so that splits read side by side do not make each other's
// records late:
//  - a split's watermark is the largest timestamp seen in it so far, minus
//    the bound B, minus 1 (min_timestamp before its first record): a record
//    may be up to B milliseconds older than the newest one before it;
//  - a source subtask's watermark is the minimum over its splits that are
//    neither finished nor idle; a split is idle after `idleness` ms of
//    processing time without a record, and active again with its next one.
//    A subtask whose splits are all idle is idle itself: it no longer holds
//    back the watermark of the tasks downstream;
//  - the subtask emits its watermark after every poll in which it advanced;
//    watermarks never go back. At the end of its input it emits
//    max_timestamp.
// The largest timestamp of each split is part of the source's checkpointed
// state, so a restored source resumes the same watermark.
//
// A source declared without a strategy emits no watermark until its input
// ends: an event-time operator downstream then sees max_timestamp only.
#pragma once

#include <cstdint>
#include <utility>

#include "nagare/time.hpp"

namespace nagare {

template <class T>
class watermark_strategy {
 public:
  // No strategy: no timestamps, no watermarks before the end of input.
  watermark_strategy() = default;

  // Records arrive at most `max_ms` milliseconds out of order (a negative
  // bound counts as 0); `timestamp` gives a record's event time.
  static watermark_strategy bounded_out_of_orderness(int64_t max_ms, timestamp_fn<T> timestamp) {
    watermark_strategy s;
    s.bound_ = max_ms < 0 ? 0 : max_ms;
    s.timestamps_ = std::move(timestamp);
    return s;
  }

  // Timestamps never decrease within a split: bounded_out_of_orderness(0, ...).
  static watermark_strategy for_monotonous_timestamps(timestamp_fn<T> timestamp) {
    return bounded_out_of_orderness(0, std::move(timestamp));
  }

  // A split without a record for `ms` milliseconds of processing time stops
  // holding back the watermark until its next record. ms <= 0: never idle.
  watermark_strategy with_idleness(int64_t ms) const {
    watermark_strategy s = *this;
    s.idleness_ = ms < 0 ? 0 : ms;
    return s;
  }

  // Empty for the default (no) strategy.
  const timestamps_of<T>& timestamps() const { return timestamps_; }
  int64_t max_out_of_orderness() const { return bound_; }
  int64_t idleness() const { return idleness_; }  // 0: splits never go idle

 private:
  timestamps_of<T> timestamps_;
  int64_t bound_ = 0;
  int64_t idleness_ = 0;
};

}  // namespace nagare
