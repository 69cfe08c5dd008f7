// The metric groups of one process (a node daemon, the coordinator, `nagare
// run`), for its /metrics endpoint: the runtime registers a group per
// scope (a task, an operator of a subtask, the process itself) and keeps it
// as long as the scope lives; the registry holds them weakly, so a group
// leaves the export when its owner drops it.
//
// A refresher thread calls refresh() every second (meters' rates, lags
// behind the wall clock); exporters refresh before they read.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nagare/metrics.hpp"

namespace nagare {

class metric_registry {
 public:
  // `common` labels go on every group (e.g. node="node-1").
  explicit metric_registry(metric_group::labels common = {});
  ~metric_registry();
  metric_registry(const metric_registry&) = delete;
  metric_registry& operator=(const metric_registry&) = delete;

  // A new group with the common labels then `labels`, exported while the
  // returned pointer (or a copy) lives.
  std::shared_ptr<metric_group> group(const metric_group::labels& labels,
                                      std::string prefix = "nagare_user_");

  // The live groups, in registration order, each followed by its scopes
  // (metric_group::scope).
  std::vector<std::shared_ptr<metric_group>> groups();

  // Refreshes every live group (meters, on_refresh functions); one caller at
  // a time.
  void refresh();

  // Starts (once) the thread that refreshes every second; the destructor
  // stops it.
  void start_refresher();

  const metric_group::labels& common_labels() const { return common_; }

 private:
  metric_group::labels common_;
  std::mutex mu_;
  std::vector<std::weak_ptr<metric_group>> groups_;
  std::mutex refresh_mu_;  // one refresh at a time
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread refresher_;
};

// Seconds since the Unix epoch, from the system clock.
double unix_now_s();

}  // namespace nagare
