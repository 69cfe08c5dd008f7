// The CAF actor system configuration every Nagare process uses: message
// types registered, scheduler sized and tuned for responsiveness (see
// CAF-NOTES: max-throughput bounds how long one actor holds a thread).
#pragma once

#include <cstdint>

#include <caf/all.hpp>

namespace nagare {

// threads = 0: one scheduler thread per core.
void configure(caf::actor_system_config& cfg, uint32_t threads);

}  // namespace nagare
