// In-memory keyed state of one subtask: an open-addressing hash table
// (linear probing) that stores each entry's full key hash beside it. A
// lookup costs one hash of the key and usually one cache line of slots, and
// the key group of every entry (hash % max_parallelism) stays derivable
// without rehashing, so state can be snapshotted and redistributed key group
// by key group (keyed_state encodes them, detail/keyed_state.hpp).
//
// Tags. Beside the slots sits one tag byte per slot: 0 for an empty slot,
// else 7 bits of the entry's hash with the high bit set. A lookup reads the
// tags of the eight slots from the key's home slot on as one word and
// compares them all at once (a SWAR compare, no SIMD instructions), so it
// goes straight to the slot whose tag matches. Why: probing slot by slot, a
// lookup branches once per slot it passes, and whether it passes any is
// random (one lookup in five at 40% load), so the processor mispredicts that
// branch often; with the state in cache, those mispredictions cost more than
// the rest of the lookup. With tags, the branches a lookup takes are nearly
// always the same: a tag matches, and the key is the one sought.
//
// The slots and tags are allocated on cache-line boundaries, so that a slot
// no larger than a line never straddles two (a large table comes from mmap,
// whose chunks malloc hands out 16 bytes past a page boundary: half of
// 32-byte slots would then take two cache misses).
//
// Not thread-safe: owned by one operator instance in one task.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "nagare/hash.hpp"

namespace nagare::detail {

inline constexpr size_t cache_line_bytes = 64;

// A std::allocator that aligns to a cache line.
template <class T>
struct line_allocator {
  using value_type = T;
  line_allocator() = default;
  template <class U>
  line_allocator(const line_allocator<U>&) {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{cache_line_bytes}));
  }
  void deallocate(T* p, size_t) { ::operator delete (p, std::align_val_t{cache_line_bytes}); }
  template <class U>
  bool operator==(const line_allocator<U>&) const {
    return true;
  }
  template <class U>
  bool operator!=(const line_allocator<U>&) const {
    return false;
  }
};

template <class K, class V>
class keyed_map {
 public:
  // Empties the map; it will hold the keys of the key groups in `range`.
  void open(key_group_range range, uint32_t max_parallelism) {
    range_ = range;
    max_parallelism_ = max_parallelism;
    slots_.assign(initial_slots, {});
    tags_.assign(initial_slots + group, 0);
    size_ = 0;
  }

  // The value of `key` (whose key_hash is `hash`), created (V{}) if absent;
  // second: whether it was created. Valid until the next insertion. Always
  // inlined: it is the hot path of keyed operators (one probe per record),
  // and inserting, the rare part, is a call.
  [[gnu::always_inline]] inline std::pair<V*, bool> get_or_create(uint64_t hash, const K& key) {
    auto h = stored(hash);
    size_t free = 0;
    if (auto* s = lookup(h, key, free)) return {&s->value, false};
    return {insert(h, key, free), true};
  }

  // Asks the processor to fetch the slot and the tags where a lookup of
  // `hash` starts, without waiting for them: a batch's lookups then overlap
  // their cache misses (detail/keyed_batch.hpp). Changes nothing; the hint is
  // lost, not wrong, if the map grows before the lookup.
  void prefetch(uint64_t hash) const {
    auto home = static_cast<size_t>(stored(hash)) & (slots_.size() - 1);
    __builtin_prefetch(slots_.data() + home, 1);
    __builtin_prefetch(tags_.data() + home, 1);
  }

  // The value of `key` (whose key_hash is `hash`), or nullptr if absent. Valid
  // until the next insertion or erasure.
  V* find(uint64_t hash, const K& key) {
    size_t free = 0;
    auto* s = lookup(stored(hash), key, free);
    return s ? &s->value : nullptr;
  }

  // Removes `key` if present (backward-shift deletion: no tombstones, so
  // lookups stay as short as after inserting only); returns whether it was.
  bool erase(uint64_t hash, const K& key) {
    size_t free = 0;
    auto* found = lookup(stored(hash), key, free);
    if (!found) return false;
    auto mask = slots_.size() - 1;
    auto i = static_cast<size_t>(found - slots_.data());
    // Moves each later entry of the probe run back into the hole unless the
    // hole lies before its home slot (cyclically).
    for (auto j = (i + 1) & mask;; j = (j + 1) & mask) {
      auto& s = slots_[j];
      if (s.hash == 0) break;
      auto home = static_cast<size_t>(s.hash) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots_[i] = std::move(s);
        set_tag(i, tags_[j]);
        i = j;
      }
    }
    slots_[i] = slot{};
    set_tag(i, 0);
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
  template <class T>
  using line_vector = std::vector<T, line_allocator<T>>;

  // Slots whose tags a lookup compares at once: one 64-bit word.
  static constexpr size_t group = 8;
  static constexpr size_t initial_slots = 16;  // a power of two, at least `group`
  static constexpr uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
  static constexpr uint64_t ones = 0x0101010101010101ULL;

  // 0 marks an empty slot, so a hash of 0 is stored as 1 (for_each recomputes
  // the real hash of entries stored as 1).
  static uint64_t stored(uint64_t hash) { return hash == 0 ? 1 : hash; }
  // Never 0 (the tag of an empty slot).
  static uint8_t tag_of(uint64_t h) { return static_cast<uint8_t>((h >> 57) | 0x80); }
  // The high bit of each byte of `x` that is zero (exactly those).
  static uint64_t zero_bytes(uint64_t x) { return ~(((x & low7) + low7) | x | low7); }
  // The tags of slots i .. i + group - 1 (wrapping around: the last `group`
  // tags repeat the first ones), slot i in the lowest byte.
  uint64_t tags_at(size_t i) const {
    uint64_t w = 0;
    std::memcpy(&w, tags_.data() + i, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
  }
  void set_tag(size_t i, uint8_t t) {
    tags_[i] = t;
    if (i < group) tags_[slots_.size() + i] = t;
  }

  // The slot of `key` (stored hash `h`), or nullptr; then `free` is the first
  // empty slot of the key's probe run, where it would go. Linear probing
  // keeps a key between its home slot and the first empty slot after it, so
  // the lookup looks at the tags of that stretch, `group` at a time, and at
  // the slots whose tags match. (A match past the first empty slot holds
  // another key, so a hit needs no test for empty slots.) The table is never
  // full.
  [[gnu::always_inline]] inline slot* lookup(uint64_t h, const K& key, size_t& free) {
    const size_t mask = slots_.size() - 1;
    const uint64_t sought = ones * tag_of(h);
    for (size_t i = static_cast<size_t>(h) & mask;; i = (i + group) & mask) {
      const uint64_t tags = tags_at(i);
      for (uint64_t match = zero_bytes(tags ^ sought); match != 0; match &= match - 1) {
        auto& s = slots_[(i + (static_cast<size_t>(__builtin_ctzll(match)) >> 3)) & mask];
        if (s.hash == h && s.key == key) return &s;
      }
      if (const uint64_t empty = zero_bytes(tags); empty != 0) {
        free = (i + (static_cast<size_t>(__builtin_ctzll(empty)) >> 3)) & mask;
        return nullptr;
      }
    }
  }

  // Puts the absent `key` (stored hash `h`) into the empty slot `free` that
  // lookup() named, after growing the table if the load would pass 3/4.
  [[gnu::noinline]] V* insert(uint64_t h, const K& key, size_t free) {
    if ((size_ + 1) * 4 > slots_.size() * 3) {
      grow();
      free = first_empty(h);
    }
    auto& s = slots_[free];
    s.hash = h;
    s.key = key;
    s.value = V{};
    set_tag(free, tag_of(h));
    ++size_;
    return &s.value;
  }
  // The first empty slot from the home slot of stored hash `h` on.
  size_t first_empty(uint64_t h) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = static_cast<size_t>(h) & mask;; i = (i + group) & mask)
      if (auto empty = zero_bytes(tags_at(i)); empty != 0)
        return (i + (static_cast<size_t>(__builtin_ctzll(empty)) >> 3)) & mask;
  }

  [[gnu::noinline]] void grow() {
    line_vector<slot> old(slots_.size() * 2);
    old.swap(slots_);
    tags_.assign(slots_.size() + group, 0);
    for (auto& s : old) {
      if (s.hash == 0) continue;
      auto i = first_empty(s.hash);
      slots_[i] = std::move(s);
      set_tag(i, tag_of(slots_[i].hash));
    }
  }

  key_group_range range_;
  uint32_t max_parallelism_ = default_max_parallelism;
  line_vector<slot> slots_ = line_vector<slot>(initial_slots);
  // tags_[i]: the tag of slot i; then the first `group` tags again, so that
  // a group read near the end wraps around.
  line_vector<uint8_t> tags_ = line_vector<uint8_t>(initial_slots + group);
  size_t size_ = 0;
};

}  // namespace nagare::detail
