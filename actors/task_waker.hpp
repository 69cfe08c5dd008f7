// The waker of a task's asynchronous operators (nagare/async.hpp): any thread
// may call wake(); the task gets one `wake` message for any number of wakes
// until it takes it (rearm()). Holds the task weakly: a wake after the task
// ended does nothing.
#pragma once

#include <atomic>

#include <caf/all.hpp>

#include "messages.hpp"
#include "nagare/async.hpp"

namespace nagare {

class task_waker final : public detail::async_waker {
 public:
  explicit task_waker(caf::actor_control_block* task) : task_(task) {}

  void wake() override {
    if (pending_.exchange(true, std::memory_order_acq_rel)) return;
    if (auto strong = task_.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), wake_atom::value);
  }
  // The task took the message: the next wake sends another.
  void rearm() { pending_.store(false, std::memory_order_release); }

 private:
  caf::weak_actor_ptr task_;
  std::atomic<bool> pending_{false};
};

}  // namespace nagare
