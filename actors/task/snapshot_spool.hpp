// Where a task's snapshot goes while its operators write it, a frame at a
// time (snapshot_stream.hpp): kept in memory while it fits in one chunk,
// then written to the node's store of local copies chunk by chunk, so a
// large state is never whole in memory. finish() makes the local copy.
//
// Not thread-safe: lives on the stack of one task actor's checkpoint. The
// local store (may be null: no local copies, everything in memory) must
// outlive the spool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint_store.hpp"
#include "nagare/status.hpp"
#include "snapshot_writer.hpp"

namespace nagare {

class snapshot_spool {
 public:
  snapshot_spool(checkpoint_store* local, uint64_t job, uint64_t checkpoint, uint32_t task,
                 size_t chunk_bytes = snapshot_chunk_bytes);

  // The encoder's sink: takes the next frame. An error (of the local store)
  // stops the encoding.
  status append(std::string&& frame);
  // After the last frame, with what the snapshot needs. Spilled: writes the
  // last chunk and the index (an error: the snapshot is not kept). In
  // memory: stores a copy in the local store, if any; that copy failing is
  // no error (the upload goes from memory) but is kept in copy_error().
  status finish(const std::vector<uint64_t>& needs);

  // Whether the snapshot went to the local store (then it is uploaded from there).
  bool spilled() const { return writer_.has_value(); }
  // After finish(), when not spilled: why the local copy was not made (ok if it was).
  const status& copy_error() const { return copy_error_; }
  // After finish(): the snapshot's bytes when not spilled, else null.
  std::shared_ptr<std::string> take_bytes() { return std::move(bytes_); }

 private:
  checkpoint_store* local_;
  uint64_t job_, checkpoint_;
  uint32_t task_;
  size_t chunk_bytes_;
  std::string head_;                       // while in memory
  std::optional<snapshot_writer> writer_;  // once spilled
  std::shared_ptr<std::string> bytes_;
  status copy_error_;
};

}  // namespace nagare
