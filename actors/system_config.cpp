#include "system_config.hpp"

#include <caf/io/all.hpp>
#include <thread>

#include "messages.hpp"
#include "net/guarded_multiplexer.hpp"

namespace nagare {

void configure(caf::actor_system_config& cfg, uint32_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  register_message_types(cfg);
  // Every connection is guarded: net/wire_limits.hpp.
  cfg.load<caf::io::middleman, guarded_multiplexer>();
  cfg.set("scheduler.max-threads", size_t{threads});
  cfg.set("scheduler.max-throughput", size_t{100});
}

}  // namespace nagare
