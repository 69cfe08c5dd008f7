// Where a keyed operator's state lives: the state backend, one per keyed
// operator instance, behind one byte-level interface implemented in libnagare
// (runtime/src/state/: memory_backend, leveldb_backend). Job code never
// names an implementation: keyed_state<K, Inline> (detail/keyed_state.hpp),
// the typed part compiled into the job, keeps the key's typed cells on the
// heap (a keyed_map) and asks the backend, off the hot path, what a cache
// cannot know by itself: a key it does not hold, room for a new one, what
// goes into a snapshot and where a restored key group goes.
//
// Two kinds of backend:
//  - unbounded (bounded() == false, the memory backend): the heap holds every
//    key. keyed_state then never calls the per-key hooks below (touch, load,
//    inserted, released, make_room): selecting a key is one inlined probe of
//    the keyed_map and no virtual call.
//  - bounded (the leveldb backend): the heap is a write-back cache of
//    capacity() keys; every key selected, loaded, created or emptied is
//    reported by row number, and make_room() may evict cached keys through
//    row_cache.
//
// Keys and rows cross as bytes: a key as codec<K> of the key (with its key
// group), a row as the per-key part of the key group format of
// detail/keyed_state.hpp (per declared state a presence byte and the cell).
//
// A third backend implements keyed_backend and is handed to keyed operators
// through state_backend_options::factory (detail/operator.hpp): operators
// need no change.
//
// Ownership and threading: a backend is owned by its keyed_state and used
// from the owning task's thread only; the row_cache it is handed is the
// keyed_state that owns it, valid for the call. Store errors throw
// operator_failure (the task fails).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nagare/detail/snapshot_fwd.hpp"
#include "nagare/detail/timer_index.hpp"
#include "nagare/hash.hpp"
#include "nagare/owned.hpp"
#include "nagare/status.hpp"

namespace nagare {
struct state_backend_options;
}

namespace nagare::detail {

// Format of one key group (keyed_state::write_key_groups / read_key_group), every declared
// state of the operator in one string:
//   byte    format version: keyed_state_format (complete) or
//           keyed_state_delta_format (changes of a delta snapshot)
//   varint  number of states S, then S times: codec<std::string> name, byte kind
//   varint  number of keys N, then N times: codec<K> key, then the key's row:
//           per state (in header order) a byte 1 followed by the state's
//           cell, or a byte 0 (the key has no value in that state). In a
//           delta, a key with no state at all was deleted; any other key
//           replaces the key's whole state.
// A restore matches states by name: a state in the snapshot that the operator
// does not declare, or declares with another kind, is an error; a declared
// state missing from the snapshot starts empty.
//
// Format versions of a key group's encoding (detail/keyed_state.hpp).
inline constexpr uint8_t keyed_state_format = 1;
inline constexpr uint8_t keyed_state_delta_format = 2;

// A set of keys' bytes, for a restore that must find a key given twice.
// (libnagare)
class seen_keys {
 public:
  seen_keys();
  ~seen_keys();
  seen_keys(const seen_keys&) = delete;
  seen_keys& operator=(const seen_keys&) = delete;
  // false: `key` was inserted before. The bytes must outlive the set.
  bool insert(std::string_view key);

 private:
  struct set;
  owned<set> set_;
};

// One cached key, as a backend sees it while it sweeps the cache. Valid for
// the visit only.
class cached_key {
 public:
  virtual uint32_t row() const = 0;
  virtual uint32_t key_group() const = 0;
  virtual bool holds_state() const = 0;
  // Appends codec<K> of the key.
  virtual void encode_key(std::string& out) const = 0;
  // Appends the key's row (see the top of this file). REQUIRES: holds_state().
  virtual void encode_row(std::string& out) const = 0;
  // Evicts the key once the sweep is over (row_cache::evict_marked).
  virtual void mark_evicted() const = 0;

 protected:
  ~cached_key() = default;
};

class cache_visitor {
 public:
  // false: stop the sweep here.
  virtual bool visit(const cached_key& key) = 0;

 protected:
  ~cache_visitor() = default;
};

// A stored key (key group, codec<K> of the key) and its row, as a bounded
// backend hands them to keyed_state::for_each_key.
class stored_key_visitor {
 public:
  virtual void visit(uint32_t key_group, std::string_view key, std::string_view row) = 0;

 protected:
  ~stored_key_visitor() = default;
};

// The typed heap cache of one keyed operator (keyed_state<K, Inline>) as its
// backend sees it.
class row_cache {
 public:
  // Keys on the heap.
  virtual size_t cached() const = 0;
  // Declared states (the inline one included) and the header of a key
  // group's encoding in `version` (format byte, then the states).
  virtual size_t states() const = 0;
  virtual void write_header(uint8_t version, std::string& out) const = 0;
  // Visits the cached keys from slot `from` on, wrapping around, until
  // `v` returns false or every key was seen; returns the slot after the
  // last one visited. Then removes the keys marked evicted (their rows
  // become free; the backend has forgotten them).
  virtual size_t sweep(size_t from, cache_visitor& v) = 0;
  virtual void evict_marked() = 0;
  // Visits every cached key.
  virtual void for_each_cached(cache_visitor& v) = 0;
  // Writes the complete encoding of the cached keys of each key group with
  // such a key to `out`, in ascending key group order (count, then encode).
  virtual void write_cached_key_groups(key_group_writer& out) const = 0;
  // The current key's row, or no row (UINT32_MAX) when none is selected.
  virtual uint32_t current_row() const = 0;

 protected:
  ~row_cache() = default;
};

class keyed_backend {
 public:
  virtual ~keyed_backend() = default;

  // Whether keys may live off the heap: then keyed_state reports every key
  // it selects, loads, creates or empties (below), and the cache holds at
  // most about capacity() keys.
  virtual bool bounded() const = 0;
  virtual uint32_t capacity() const = 0;
  // A new, empty index over the timers of this backend's keys.
  virtual owned<timer_index> make_timer_index() = 0;
  // Keys that hold state.
  virtual uint64_t keys(const row_cache& cache) const = 0;
  // Bytes of the state, as the backend measures it (its metric
  // nagare_task_state_bytes): the encoded keys and rows it stores, or, for
  // a backend that stores none, what its last snapshot encoded.
  virtual uint64_t state_bytes() const { return 0; }

  // ---- bounded backends: per key, by row number ----
  // The key (key group, codec<K> bytes) was selected: it may change.
  virtual void touch(uint32_t row) = 0;
  // Reads the stored row of a key that is not cached into `row`; false: the
  // backend holds no state for it.
  virtual bool load(uint32_t key_group, std::string_view key, std::string& row) = 0;
  // A key entered the cache in `row`: `stored` is the row load() returned,
  // nullptr for a new key.
  virtual void cached(uint32_t row, size_t key_bytes, const std::string* stored) = 0;
  // The key in `row` holds no state any more and leaves the cache (its row
  // is freed by the caller).
  virtual void released(uint32_t key_group, std::string_view key, uint32_t row) = 0;
  // Called before a key enters the cache: evicts cached keys (writing back
  // their changed rows) when the cache is full.
  virtual void make_room(row_cache& cache) = 0;
  // Visits every key holding state, in store order, after writing the cache
  // back.
  virtual void for_each_stored(row_cache& cache, stored_key_visitor& v) = 0;

  // ---- snapshots ----
  // The snapshot of checkpoint `id` comes next; checkpoint `id` is complete.
  virtual void prepare_checkpoint(uint64_t id) = 0;
  virtual void checkpoint_complete(uint64_t id) = 0;
  // The operator's keyed state into `out`: complete (key groups) or a delta
  // (sets out.extends, see operator_snapshot).
  virtual void write_snapshot(row_cache& cache, operator_snapshot& out) = 0;
  // The complete state, key group by key group.
  virtual void write_key_groups(row_cache& cache, key_group_writer& out) = 0;

  // ---- restore (bounded backends keep restored keys, not the cache) ----
  // A restored key and its row (nullptr: deleted by a delta).
  virtual void restore_row(uint32_t key_group, std::string_view key, const std::string* row) = 0;
  // After the last key group of a restore.
  virtual void finish_restore() = 0;
  // After a restore from this operator's own chain of snapshots up to
  // `checkpoint` (`length` deltas of `chain_bytes`): the next snapshot may be
  // a delta over it.
  virtual void restored_own(uint64_t checkpoint, uint64_t chain_bytes, uint32_t length) = 0;
};

// Makes keyed backends: what state_backend_options::factory points to when a
// backend of one's own replaces the built-in ones. Owned by whoever set it;
// must outlive the operators it serves.
class keyed_backend_factory {
 public:
  virtual result<owned<keyed_backend>> make(key_group_range range,
                                            uint32_t max_parallelism) const = 0;

 protected:
  ~keyed_backend_factory() = default;
};

// The backend `opts` names (libnagare): memory, leveldb (a new store under
// opts.directory), or what opts.factory makes.
result<owned<keyed_backend>> make_keyed_backend(const state_backend_options& opts,
                                                key_group_range range, uint32_t max_parallelism);
// The built-in memory backend (libnagare), for backends that wrap it.
owned<keyed_backend> make_memory_backend();

// Reads the key groups of `range` from every earlier subtask's snapshot
// chain into `read` (each key group once), then calls finish(); see
// restore_key_groups in detail/keyed_state.hpp.
class key_group_restorer {
 public:
  virtual status read_key_group(uint32_t kg, const std::string& bytes) = 0;
  virtual void finish_restore() = 0;
  virtual void restored_own(uint64_t checkpoint, uint64_t chain_bytes, uint32_t length) = 0;

 protected:
  ~key_group_restorer() = default;
};
status restore_key_group_chains(key_group_restorer& into, key_group_range range,
                                const std::vector<operator_snapshot>& previous,
                                uint32_t max_parallelism, uint64_t own);

}  // namespace nagare::detail
