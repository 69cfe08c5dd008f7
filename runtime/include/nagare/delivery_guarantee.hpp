// What a sink promises about its output across failures and restarts.
//
//   exactly_once   every record's effect appears once: the sink commits with
//                  checkpoints (two-phase commit, nagare/sink.hpp) and the
//                  job's checkpoints are aligned (the default)
//   at_least_once  no record is lost, but after a restore some may appear
//                  again (a sink without transactions, or a job run with
//                  --at-least-once checkpoints)
//
// A sink descriptor declares what it can give with
//   nagare::delivery_guarantee guarantee() const;
// (without it: at_least_once). The job's checkpoint mode caps it: under
// --at-least-once every sink is at-least-once, and --require-exactly-once
// refuses a job in which some sink would not be exactly-once.
#pragma once

#include <cstdint>

namespace nagare {

enum class delivery_guarantee : uint8_t { at_least_once, exactly_once };

inline const char* to_string(delivery_guarantee g) {
  return g == delivery_guarantee::exactly_once ? "exactly-once" : "at-least-once";
}

}  // namespace nagare
