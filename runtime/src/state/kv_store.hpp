// A task's scratch key-value store: ordered byte keys and values on local
// disk (LevelDB, runtime/src/state/leveldb_kv_store.cpp). The leveldb state backend
// (state/leveldb_backend.hpp) keeps keyed state and timers in one. Internal
// to libnagare and the runtime: job code never sees it.
//
// The store is scratch, not durable: it lives in a directory of its own that
// create() makes and the destructor deletes; checkpoints make state durable.
// Keys compare bytewise (unsigned).
//
// Errors: create() returns them; the other functions throw
// detail::operator_failure (an I/O error or corruption fails the task that
// owns the store). Not thread-safe: owned by one operator instance.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "nagare/status.hpp"

namespace nagare::detail {

// A position in the store. Sees the store as it was when created (a
// snapshot): later writes neither appear nor disturb it.
class kv_iterator {
 public:
  virtual ~kv_iterator() = default;
  // Moves to the first key >= `key`.
  virtual void seek(std::string_view key) = 0;
  // Moves to the last key < `key` ("": the last key of the store).
  virtual void seek_before(std::string_view key) = 0;
  virtual bool valid() const = 0;
  // REQUIRES: valid(). Views stay valid until the iterator moves.
  virtual void next() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
};

class kv_store {
 public:
  struct options {
    size_t block_cache_bytes = 4 << 20;   // uncompressed blocks kept on the heap
    size_t write_buffer_bytes = 4 << 20;  // writes buffered on the heap before a table is written
    int bloom_bits_per_key = 10;          // a lookup of an absent key rarely reads a block
  };

  // A new, empty store in a new directory under `parent` (created if needed).
  static result<std::unique_ptr<kv_store>> create(const std::string& parent, const options& opts);
  static result<std::unique_ptr<kv_store>> create(const std::string& parent) {
    return create(parent, options{});
  }

  virtual ~kv_store() = default;

  // The value of `key`, if present. Sees committed writes only (not staged ones).
  virtual bool get(std::string_view key, std::string& value) = 0;
  // Writes at once.
  virtual void put(std::string_view key, std::string_view value) = 0;
  virtual void erase(std::string_view key) = 0;
  // Stages a write; commit() applies every staged write atomically, in order.
  virtual void stage_put(std::string_view key, std::string_view value) = 0;
  virtual void stage_erase(std::string_view key) = 0;
  virtual void commit() = 0;
  // Bytes staged and not yet committed.
  virtual size_t staged_bytes() const = 0;
  // An iterator over the committed contents.
  virtual std::unique_ptr<kv_iterator> iterate() = 0;
  // The directory the store lives in.
  virtual const std::string& directory() const = 0;

  // Returns the free memory of the process's heap to the system
  // (malloc_trim). A checkpoint allocates and frees large buffers (the
  // snapshot, its encoding); without this the heap keeps their pages.
  static void trim_heap();
};

}  // namespace nagare::detail
