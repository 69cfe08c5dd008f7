// What a sink promises about its output across failures and restarts.
//
//   exactly_once   every record's effect appears once: the sink commits with
//                  checkpoints (two-phase commit, nagare/sink.hpp) and the
//                  job's checkpoints are aligned (the default)
//   at_least_once  no record is lost, but after a restore some may appear
//                  again (a sink without transactions, or a job run with
//                  --at-least-once checkpoints)
//   none           best effort: records written but not yet delivered when a
//                  task fails may be lost, and replayed ones appear again (a
//                  sink that never waits for its output, such as kafka_sink
//                  with kafka_delivery::none)
//
// A sink descriptor declares what it can give with
//   nagare::delivery_guarantee guarantee() const;
// (without it: at_least_once). The job's checkpoint mode caps it: under
// --at-least-once every exactly-once sink is at-least-once (a sink of none
// stays none), and --require-exactly-once refuses a job in which some sink
// would not be exactly-once.
#pragma once

#include <cstdint>

namespace nagare {

// The values are part of the job API (node_spec::guarantee): append only.
enum class delivery_guarantee : uint8_t { at_least_once, exactly_once, none };

inline const char* to_string(delivery_guarantee g) {
  switch (g) {
    case delivery_guarantee::exactly_once:
      return "exactly-once";
    case delivery_guarantee::none:
      return "none";
    default:
      return "at-least-once";
  }
}

// `g` under the job's checkpoint mode: --at-least-once checkpoints make an
// exactly-once sink at-least-once and leave the others as they are.
inline delivery_guarantee capped(delivery_guarantee g, bool at_least_once_checkpoints) {
  return at_least_once_checkpoints && g == delivery_guarantee::exactly_once
             ? delivery_guarantee::at_least_once
             : g;
}

}  // namespace nagare
