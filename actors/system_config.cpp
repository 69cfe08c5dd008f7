#include "system_config.hpp"

#include <caf/io/all.hpp>
#include <thread>

#include "messages.hpp"

namespace nagare {

void configure(caf::actor_system_config& cfg, uint32_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  register_message_types(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("scheduler.max-threads", size_t{threads});
  cfg.set("scheduler.max-throughput", size_t{100});
}

}  // namespace nagare
