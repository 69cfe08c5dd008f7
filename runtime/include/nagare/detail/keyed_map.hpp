// In-memory keyed state of one subtask: an open-addressing hash table
// (linear probing) that stores each entry's full key hash beside it. A
// lookup costs one hash of the key and usually one cache line, and the key
// group of every entry (hash % max_parallelism) stays derivable without
// rehashing, so state can be snapshotted and redistributed key group by key
// group.
//
// Not thread-safe: owned by one operator instance in one task.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "nagare/hash.hpp"

namespace nagare::detail {

template <class K, class V>
class keyed_map {
 public:
  void open(key_group_range range) {
    range_ = range;
    slots_.assign(16, {});
    size_ = 0;
  }

  // The slot of `key` (whose key_hash is `hash`), created with `init` if
  // absent; second: whether it was created. Valid until the next insertion.
  template <class Init>
  std::pair<V*, bool> get_or_create(uint64_t hash, const K& key, Init&& init) {
    auto h = stored(hash);
    auto mask = slots_.size() - 1;
    for (auto i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
      auto& s = slots_[i];
      if (s.hash == h && s.key == key) return {&s.value, false};
      if (s.hash != 0) continue;
      if ((size_ + 1) * 4 > slots_.size() * 3) {  // keep the load below 3/4
        grow();
        return get_or_create(hash, key, std::forward<Init>(init));
      }
      s.hash = h;
      s.key = key;
      s.value = V(std::forward<Init>(init));
      ++size_;
      return {&s.value, true};
    }
  }

  // Visits every entry as f(key, value, key_hash).
  template <class F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s.hash != 0) f(s.key, s.value, s.hash == 1 ? key_hash<K>{}(s.key) : s.hash);
  }

  size_t size() const { return size_; }
  key_group_range range() const { return range_; }

 private:
  struct slot {
    uint64_t hash = 0;  // 0: empty
    K key{};
    V value{};
  };

  // 0 marks an empty slot, so a hash of 0 is stored as 1 (for_each recomputes
  // the real hash of entries stored as 1).
  static uint64_t stored(uint64_t hash) { return hash == 0 ? 1 : hash; }

  void grow() {
    std::vector<slot> old(slots_.size() * 2);
    old.swap(slots_);
    auto mask = slots_.size() - 1;
    for (auto& s : old) {
      if (s.hash == 0) continue;
      auto i = static_cast<size_t>(s.hash) & mask;
      while (slots_[i].hash != 0) i = (i + 1) & mask;
      slots_[i] = std::move(s);
    }
  }

  key_group_range range_;
  std::vector<slot> slots_ = std::vector<slot>(16);
  size_t size_ = 0;
};

}  // namespace nagare::detail
