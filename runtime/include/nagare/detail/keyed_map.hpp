// In-memory keyed state of one subtask, stored per key group so that state can
// later be snapshotted and redistributed key group by key group.
#pragma once

#include <unordered_map>
#include <utility>
#include <vector>

#include "nagare/hash.hpp"

namespace nagare::detail {

template <class K>
struct stable_hasher {
  size_t operator()(const K& k) const { return static_cast<size_t>(key_hash<K>{}(k)); }
};

template <class K, class V>
class keyed_map {
 public:
  void open(key_group_range range) {
    range_ = range;
    groups_.assign(range.size(), {});
  }
  // The slot of `key`, created with `init` if absent; second: whether it was created.
  template <class Init>
  std::pair<V*, bool> get_or_create(uint32_t key_group, const K& key, Init&& init) {
    auto& m = groups_[key_group - range_.first];
    auto [it, created] = m.try_emplace(key, std::forward<Init>(init));
    return {&it->second, created};
  }
  // Visits every entry, key group by key group.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& m : groups_)
      for (const auto& [k, v] : m) f(k, v);
  }
  size_t size() const {
    size_t n = 0;
    for (const auto& m : groups_) n += m.size();
    return n;
  }
  key_group_range range() const { return range_; }

 private:
  key_group_range range_;
  std::vector<std::unordered_map<K, V, stable_hasher<K>>> groups_;
};

}  // namespace nagare::detail
