// Scheduling: which node runs which task. Slot sharing as in Flink: one slot
// holds one subtask of every vertex, so a job needs as many slots as its
// largest vertex parallelism, and subtask s of every vertex runs in slot s.
// Slots are taken round-robin across nodes so that a job spreads over the
// cluster. A job that needs more free slots than there are is rejected.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nagare/status.hpp"

namespace nagare {

struct node_slots {
  uint32_t total = 0;
  uint32_t used = 0;
  bool alive = true;
};

// For each slot the job needs, the index of the node that provides it.
result<std::vector<uint32_t>> assign_slots(uint32_t needed, const std::vector<node_slots>& nodes);

}  // namespace nagare
