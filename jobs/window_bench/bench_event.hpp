// The event time of the sliding-window benchmark's records, shared by the
// job and the hand-written baseline loop so that both window exactly the
// same stream: record i happens at i * 1000 / rate milliseconds (`rate`
// records per second of event time), so timestamps never decrease with i.
#pragma once

#include <cstdint>

namespace nagare::bench {

inline int64_t event_time(uint64_t i, uint64_t rate) {
  return static_cast<int64_t>(i / rate * 1000 + i % rate * 1000 / rate);
}

}  // namespace nagare::bench
