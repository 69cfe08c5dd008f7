// Last resort against a shutdown that never completes (CAF-NOTES §4: one
// remaining actor makes ~actor_system wait forever). Declare it before the
// actor system; once armed, it exits the process unless it is destroyed
// (after the actor system) within the grace period.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

namespace nagare {

class shutdown_watchdog {
 public:
  shutdown_watchdog() = default;
  shutdown_watchdog(const shutdown_watchdog&) = delete;
  shutdown_watchdog& operator=(const shutdown_watchdog&) = delete;
  ~shutdown_watchdog() { *disarmed_ = true; }

  void arm(std::chrono::seconds grace) {
    std::thread([grace, disarmed = disarmed_] {
      std::this_thread::sleep_for(grace);
      if (*disarmed) return;
      std::fputs("nagare: error: actor system did not shut down; exiting\n", stderr);
      ::_exit(3);
    }).detach();
  }

 private:
  std::shared_ptr<std::atomic<bool>> disarmed_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace nagare
