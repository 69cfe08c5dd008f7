// The time-ordered index over the timers of every key of one operator
// instance. Timers themselves are keyed state (each key's (domain, time)
// pairs, see detail/timer_service.hpp): they are snapshotted, restored and
// rescaled with their key. The index is derived from them: it answers "which
// timer is due next" across keys, and after a restore it is rebuilt by
// scanning the restored keys. A state backend supplies the implementation
// (keyed_rows::make_timer_index): memory_timer_index here keeps it on the
// heap; a backend that spills keyed state may spill the index too.
//
// Timers are ordered by (time, key group, key bytes); the key is the codec<K>
// encoding of the key. Not thread-safe: owned by one operator instance.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nagare/time.hpp"

namespace nagare::detail {

// One timer as the index hands it out.
struct timer_ref {
  int64_t time = 0;
  uint32_t key_group = 0;
  std::string key;  // codec<K> bytes of the timer's key

  bool operator<(const timer_ref& o) const {
    if (time != o.time) return time < o.time;
    if (key_group != o.key_group) return key_group < o.key_group;
    return key < o.key;
  }
  bool operator==(const timer_ref& o) const {
    return time == o.time && key_group == o.key_group && key == o.key;
  }
};

class timer_index {
 public:
  virtual ~timer_index() = default;
  // Adds a timer. REQUIRES: it is not in the index (the timer service keeps
  // each key's timers unique).
  virtual void add(time_domain d, int64_t time, uint32_t key_group, std::string_view key) = 0;
  // Removes a timer if present.
  virtual void remove(time_domain d, int64_t time, uint32_t key_group, std::string_view key) = 0;
  // Removes the earliest timer of domain `d` whose time is <= `bound` and
  // stores it in `out`; false (and `out` unchanged) when there is none.
  virtual bool pop(time_domain d, int64_t bound, timer_ref& out) = 0;
  // Whether domain `d` holds no timer.
  virtual bool empty(time_domain d) const = 0;
  // The latest time of domain `d`; min_timestamp when it holds no timer.
  virtual int64_t latest(time_domain d) const = 0;
  // Removes every timer (before a rebuild).
  virtual void clear() = 0;
};

}  // namespace nagare::detail
