// How a keyed operator takes a batch of records (input_port::push_batch).
//
// The problem it solves: with more keys than fit in the cache, a keyed
// operator spends most of its time waiting for one load per record, the slot
// of the record's key in its keyed_map. Record by record, through a virtual
// push() each, the processor cannot look far enough ahead to start the next
// record's miss before this one's ends, so the misses come one after the
// other. Over a batch it can be told: while the operator processes record i,
// the key and hash of record i + distance are computed and its slot is
// prefetched, so `distance` misses are in flight at once.
//
// The results are exactly those of push() per record: records are processed
// one at a time, in order, each with its key current; only the key function
// runs earlier (once per record, as before, `distance` records ahead), so it
// must depend on the record alone, as key functions do.
//
// Not thread-safe: owned by one operator instance, used from its task's
// thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nagare/hash.hpp"

namespace nagare::detail {

template <class K>
class keyed_batch {
 public:
  // Records looked ahead: enough misses in flight to cover the latency of
  // memory at a few nanoseconds of work per record (16 measured a few
  // percent slower than 32 at 100,000 keys, 64 no faster), few enough that
  // the prefetched lines are still in the first-level cache when used.
  static constexpr size_t distance = 32;
  static_assert((distance & (distance - 1)) == 0, "a power of two: the ring wraps by masking");

  // Calls apply(records[i], key, hash) for i in [0, n) in order, where key =
  // key_of(records[i]) and hash = key_hash<K>{}(key), after
  // state.prefetch(hash) was called for it `distance` records earlier (or at
  // the start). `key` is valid during the call only. apply may move from its
  // record (not from the others).
  template <class T, class KeyFn, class State, class Apply>
  void run(T* records, size_t n, KeyFn& key_of, const State& state, Apply&& apply) {
    const size_t ahead = n < distance ? n : distance;
    for (size_t i = 0; i < ahead; ++i) look_ahead(i, records[i], key_of, state);
    for (size_t i = 0; i < n; ++i) {
      const size_t at = i & (distance - 1);
      apply(records[i], static_cast<const K&>(keys_[at]), hashes_[at]);
      // Record i is done with its key: its place in the ring takes the key
      // of the record `distance` ahead.
      if (i + distance < n) look_ahead(at, records[i + distance], key_of, state);
    }
  }

 private:
  template <class T, class KeyFn, class State>
  void look_ahead(size_t at, const T& record, KeyFn& key_of, const State& state) {
    keys_[at] = key_of(record);
    hashes_[at] = key_hash<K>{}(keys_[at]);
    state.prefetch(hashes_[at]);
  }

  K keys_[distance]{};
  uint64_t hashes_[distance]{};
};

}  // namespace nagare::detail
