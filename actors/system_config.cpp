#include "system_config.hpp"

#include <caf/io/all.hpp>
#include <chrono>
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
  // An idle worker polls for work and steals from the others: 100 quick
  // attempts, then one every moderate-sleep-duration (CAF's default: 50 us)
  // for 500 attempts, then it waits on a condition variable. In a pipeline of
  // tasks the worker that runs out of work first (a source without credit)
  // then woke every 50 us, a context switch each time, and stole the other
  // worker's next task: the tasks of one pipeline moved between cores batch
  // after batch, losing their caches. With 1 ms the keyed count at p=1
  // (docs/benchmarks.md, 100 million records) took 1.50 s of CPU instead of
  // 1.93 s (medians of 5) and less wall time; p=2 about the same. A task that
  // an idle worker is to run from outside the pool (a timer, the network)
  // may start up to 1 ms late.
  cfg.set("work-stealing.moderate-sleep-duration", caf::timespan{std::chrono::milliseconds(1)});
}

}  // namespace nagare
