// In-memory keyed state of one subtask: an open-addressing hash table
// (linear probing) that stores each entry's full key hash beside it. A
// lookup costs one hash of the key and usually one cache line, and the key
// group of every entry (hash % max_parallelism) stays derivable without
// rehashing, so state can be snapshotted and redistributed key group by key
// group (keyed_state encodes them, detail/keyed_state.hpp).
//
// Not thread-safe: owned by one operator instance in one task.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/hash.hpp"

namespace nagare::detail {

template <class K, class V>
class keyed_map {
 public:
  // Empties the map; it will hold the keys of the key groups in `range`.
  void open(key_group_range range, uint32_t max_parallelism) {
    range_ = range;
    max_parallelism_ = max_parallelism;
    slots_.assign(16, {});
    size_ = 0;
  }

  // The slot of `key` (whose key_hash is `hash`), created with `init` if
  // absent; second: whether it was created. Valid until the next insertion.
  // Always inlined: it is the hot path of keyed operators (one probe per
  // record), and growing, the rare part, is a call.
  template <class Init>
  [[gnu::always_inline]] inline std::pair<V*, bool> get_or_create(uint64_t hash, const K& key,
                                                                  Init&& init) {
    auto h = stored(hash);
    for (;;) {
      auto mask = slots_.size() - 1;
      for (auto i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
        auto& s = slots_[i];
        if (s.hash == h && s.key == key) return {&s.value, false};
        if (s.hash != 0) continue;
        if ((size_ + 1) * 4 > slots_.size() * 3) break;  // keep the load below 3/4
        s.hash = h;
        s.key = key;
        s.value = V(std::forward<Init>(init));
        ++size_;
        return {&s.value, true};
      }
      grow();  // then probe again
    }
  }

  // The value of `key` (whose key_hash is `hash`), or nullptr if absent. Valid
  // until the next insertion or erasure.
  V* find(uint64_t hash, const K& key) {
    auto h = stored(hash);
    auto mask = slots_.size() - 1;
    for (auto i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
      auto& s = slots_[i];
      if (s.hash == h && s.key == key) return &s.value;
      if (s.hash == 0) return nullptr;
    }
  }

  // Removes `key` if present (backward-shift deletion: no tombstones, so
  // lookups stay as short as after inserting only); returns whether it was.
  bool erase(uint64_t hash, const K& key) {
    auto h = stored(hash);
    auto mask = slots_.size() - 1;
    auto i = static_cast<size_t>(h) & mask;
    for (;; i = (i + 1) & mask) {
      if (slots_[i].hash == 0) return false;
      if (slots_[i].hash == h && slots_[i].key == key) break;
    }
    // Moves each later entry of the probe run back into the hole unless the
    // hole lies before its home slot (cyclically).
    for (auto j = (i + 1) & mask;; j = (j + 1) & mask) {
      auto& s = slots_[j];
      if (s.hash == 0) break;
      auto home = static_cast<size_t>(s.hash) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots_[i] = std::move(s);
        i = j;
      }
    }
    slots_[i] = slot{};
    --size_;
    return true;
  }

  // Visits every entry as f(key, value, key_hash).
  template <class F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s.hash != 0) f(s.key, s.value, s.hash == 1 ? key_hash<K>{}(s.key) : s.hash);
  }

  // Visits the entries from slot `from` on, wrapping around, as f(key,
  // value&, key_hash) until f returns false or every slot was seen; returns
  // the slot after the last one visited (where a later sweep may go on). f
  // must not insert or erase.
  template <class F>
  size_t sweep(size_t from, F&& f) {
    auto mask = slots_.size() - 1;
    for (size_t n = 0, i = from & mask; n <= mask; ++n, i = (i + 1) & mask) {
      auto& s = slots_[i];
      if (s.hash != 0 && !f(s.key, s.value, s.hash == 1 ? key_hash<K>{}(s.key) : s.hash))
        return (i + 1) & mask;
    }
    return from & mask;
  }

  size_t size() const { return size_; }
  key_group_range range() const { return range_; }
  uint32_t max_parallelism() const { return max_parallelism_; }

 private:
  struct slot {
    uint64_t hash = 0;  // 0: empty
    K key{};
    V value{};
  };

  // 0 marks an empty slot, so a hash of 0 is stored as 1 (for_each recomputes
  // the real hash of entries stored as 1).
  static uint64_t stored(uint64_t hash) { return hash == 0 ? 1 : hash; }

  [[gnu::noinline]] void grow() {
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
  uint32_t max_parallelism_ = default_max_parallelism;
  std::vector<slot> slots_ = std::vector<slot>(16);
  size_t size_ = 0;
};

}  // namespace nagare::detail
