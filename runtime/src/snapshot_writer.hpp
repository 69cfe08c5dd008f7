// Writing a snapshot into a checkpoint store as it is encoded (a task's local
// copy, see snapshot_stream.hpp): the bytes come a frame at a time and go to
// the store a chunk at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint_store.hpp"

namespace nagare {

// Stores a snapshot whose size is not known in advance, a chunk at a time as
// its bytes come (a snapshot_encoder's frames): at most one chunk is in
// memory. Until finish() the snapshot is not stored (its index says so).
class snapshot_writer {
 public:
  snapshot_writer(checkpoint_store& store, uint64_t job, uint64_t checkpoint, uint32_t task,
                  bool sync, size_t chunk_bytes = snapshot_chunk_bytes);
  // Appends bytes; writes every chunk that is full.
  status append(std::string_view bytes);
  // Writes the rest as the last chunk, with what the snapshot needs: it is
  // then stored.
  status finish(const std::vector<uint64_t>& needs);
  uint64_t bytes() const { return bytes_; }
  uint32_t chunks() const { return chunk_; }

 private:
  checkpoint_store& store_;
  uint64_t job_, checkpoint_;
  uint32_t task_;
  bool sync_;
  size_t chunk_bytes_;
  std::string buffer_;
  uint32_t chunk_ = 0;  // chunks written
  uint64_t bytes_ = 0;
};

}  // namespace nagare
