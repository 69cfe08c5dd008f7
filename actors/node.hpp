// The node actor: offers task slots to the coordinator, loads job libraries,
// builds the job's graph (checking it matches the submitted plan) and spawns
// the task actors it is asked to run.
#pragma once

#include <string>

#include <caf/all.hpp>

namespace nagare {

struct node_options {
  std::string name;
  uint32_t slots = 1;
};

// Registers with `coordinator` at start.
caf::behavior node_actor(caf::event_based_actor* self, caf::actor coordinator, node_options opts);

}  // namespace nagare
