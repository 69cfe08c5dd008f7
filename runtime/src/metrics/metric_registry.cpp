#include "metrics/metric_registry.hpp"

#include <algorithm>
#include <chrono>

namespace nagare {

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

metric_registry::metric_registry(metric_group::labels common) : common_(std::move(common)) {}

metric_registry::~metric_registry() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

std::shared_ptr<metric_group> metric_registry::group(const metric_group::labels& labels,
                                                     std::string prefix) {
  auto all = common_;
  all.insert(all.end(), labels.begin(), labels.end());
  auto g = std::make_shared<metric_group>(std::move(all), std::move(prefix));
  std::lock_guard<std::mutex> lock(mu_);
  // Drop the entries of groups gone since (registration is rare, groups few).
  groups_.erase(std::remove_if(groups_.begin(), groups_.end(),
                               [](const std::weak_ptr<metric_group>& w) { return w.expired(); }),
                groups_.end());
  groups_.push_back(g);
  return g;
}

namespace {

// `g`, then its scopes and theirs, depth first.
void add_with_scopes(std::shared_ptr<metric_group> g,
                     std::vector<std::shared_ptr<metric_group>>& out) {
  auto scopes = g->scopes();
  out.push_back(std::move(g));
  for (auto& s : scopes) add_with_scopes(std::move(s), out);
}

}  // namespace

std::vector<std::shared_ptr<metric_group>> metric_registry::groups() {
  std::vector<std::shared_ptr<metric_group>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& w : groups_)
      if (auto g = w.lock()) live.push_back(std::move(g));
  }
  std::vector<std::shared_ptr<metric_group>> out;
  for (auto& g : live) add_with_scopes(std::move(g), out);
  return out;
}

void metric_registry::refresh() {
  auto live = groups();
  std::lock_guard<std::mutex> lock(refresh_mu_);
  double now = unix_now_s();
  for (auto& g : live) g->refresh(now);
}

void metric_registry::start_refresher() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (refresher_.joinable() || stopping_) return;
  refresher_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stopping_) {
      lock.unlock();
      refresh();
      lock.lock();
      stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  });
}

}  // namespace nagare
