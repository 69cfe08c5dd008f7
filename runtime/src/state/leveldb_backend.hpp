// The leveldb state backend (detail/keyed_backend.hpp): keyed state in a
// kv_store (LevelDB) of the operator instance's own, with the typed heap map
// of keyed_state as a bounded write-back cache of about `capacity` keys.
//
// A key that is not cached is read from the store when selected; when the
// cache is full, a CLOCK sweep writes the changed rows of keys not selected
// since the hand last passed back and evicts them (about an eighth of the
// cache at a time). Snapshots are incremental (state/delta_chain.hpp): every
// row written also writes a change record tagged with the epoch, and a delta
// is the change records since the checkpoint it extends. Timers go to the
// store too (state/kv_timer_index.hpp).
//
// Store keys, the key as codec<K> bytes, key groups as 2 bytes big-endian so
// that a key group's keys are adjacent:
//   'k' key group, key  -> the key's row (detail/keyed_state.hpp)
//   'm' key group, key  -> the last change of the key: 8 bytes big-endian
//                          epoch, then 1 and the row, or 0 (deleted)
//   't' ...             -> timers (kv_timer_index)
//
// Not thread-safe: owned by one keyed_state, used from its task's thread.
// Store errors throw operator_failure.
#pragma once

#include <cstdint>
#include <memory>

#include "nagare/detail/keyed_backend.hpp"
#include "state/kv_store.hpp"

namespace nagare::detail {

// A backend over `store` (which it keeps until destroyed), caching about
// `capacity` keys (at least 1).
owned<keyed_backend> make_leveldb_backend(std::shared_ptr<kv_store> store, uint32_t capacity);

}  // namespace nagare::detail
