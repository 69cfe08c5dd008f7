// The upload of one task snapshot to the checkpoint store, a chunk at a
// time: each chunk is sent after the previous one was stored, and the task
// acknowledges the checkpoint after the last. The chunks come from the
// bytes in memory (a snapshot that fit in one chunk, or a test's), or are
// read back one at a time from the node's local copy (stored in the same
// chunks), so that only one chunk of a large snapshot is in memory.
//
// Holds no CAF: the task actor sends each piece (`store` requests) and asks
// for the next when the store replied. Not thread-safe: owned by one task
// actor's upload; the local store is shared with the node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "checkpoint_store.hpp"
#include "nagare/status.hpp"

namespace nagare {

class chunked_upload {
 public:
  // From `bytes` when not null (they are taken over and freed after the
  // last chunk), else from `local`'s copy of (job, checkpoint, task).
  chunked_upload(uint64_t job, uint64_t checkpoint, uint32_t task,
                 std::shared_ptr<std::string> bytes, std::shared_ptr<checkpoint_store> local,
                 size_t chunk_bytes = snapshot_chunk_bytes);

  struct piece {
    uint32_t chunk = 0;
    uint32_t chunks = 1;
    std::string bytes;
  };
  // REQUIRES: !done(). The next chunk to store; an error if the local copy
  // cannot be read back (the upload is then abandoned).
  result<piece> next();
  // Whether the last chunk has been handed out by next().
  bool done() const { return next_ > 0 && next_ >= chunks_; }

 private:
  uint64_t job_, checkpoint_;
  uint32_t task_;
  std::shared_ptr<std::string> bytes_;
  std::shared_ptr<checkpoint_store> local_;
  size_t chunk_bytes_;
  uint32_t next_ = 0;    // the chunk next() hands out
  uint32_t chunks_ = 0;  // 0: not known yet
};

}  // namespace nagare
