#include "lookup/lookup_cache.hpp"

#include <utility>

namespace nagare::detail {

const lookup_cache::value_ptr* lookup_cache::find(const std::string& key, int64_t now_ms) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  auto e = it->second;
  if (ttl_ms_ > 0 && now_ms - e->written >= ttl_ms_) {
    lru_.erase(e);
    index_.erase(it);
    return nullptr;
  }
  if (e != lru_.begin()) lru_.splice(lru_.begin(), lru_, e);
  return &e->value;
}

void lookup_cache::put(const std::string& key, value_ptr value, int64_t now_ms) {
  if (capacity_ == 0) return;
  auto it = index_.find(key);
  if (it != index_.end()) {
    auto e = it->second;
    e->value = std::move(value);
    e->written = now_ms;
    if (e != lru_.begin()) lru_.splice(lru_.begin(), lru_, e);
    return;
  }
  if (index_.size() >= capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(entry{key, std::move(value), now_ms});
  index_.emplace(key, lru_.begin());
}

}  // namespace nagare::detail
