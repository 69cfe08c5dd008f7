// The timer index (detail/timer_index.hpp) of the leveldb state backend: the
// timers live in the operator's kv_store, in time order, under keys
//   prefix byte, domain byte, time (8 bytes big-endian, sign bit flipped, so
//   that bytewise order is numeric order), key group (2 bytes big-endian),
//   codec<K> key bytes
// with empty values. Only the timers that are due and about to fire are
// loaded onto the heap, a bounded batch at a time, so a million pending
// timers cost no task memory.
#pragma once

#include <memory>

#include "nagare/detail/timer_index.hpp"
#include "nagare/owned.hpp"
#include "state/kv_store.hpp"

namespace nagare::detail {

// An empty index in `store` under `prefix` (a byte no other user of the store
// starts its keys with). Holds `store` until destroyed.
owned<timer_index> make_kv_timer_index(std::shared_ptr<kv_store> store, char prefix);

}  // namespace nagare::detail
