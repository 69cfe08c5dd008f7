// The stored forms of the checkpoint store's values (checkpoint_store.hpp):
// a complete checkpoint's record and a task snapshot's index. Both are
// sealed buffers (sealed_buffer.hpp), so a damaged byte is an io_error,
// never a value:
//
//   record  magic "NGCP", version 1, then a FlatBuffers CheckpointRecord
//           (schemas/checkpoint.fbs)
//   index   magic "NGSI", version 1, then little-endian fields: uint32 chunk
//           count, uint8 1 when every chunk is stored (else 0), uint32 n,
//           then n uint64 checkpoint ids it needs, ascending
//
// Pure functions: any thread may call them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint_store.hpp"
#include "nagare/status.hpp"

namespace nagare {

std::string encode_checkpoint_record(const stored_checkpoint& r);
// The record stored under (job, checkpoint): io_error naming the damage, or
// a record of another job or checkpoint.
result<stored_checkpoint> decode_checkpoint_record(uint64_t job, uint64_t checkpoint,
                                                   std::string_view bytes);

// What the store knows of a task's snapshot without reading it.
struct snapshot_index {
  uint32_t chunks = 0;
  bool whole = false;  // every chunk is stored
  std::vector<uint64_t> needs;
};

std::string encode_snapshot_index(const snapshot_index& x);
// io_error "damaged snapshot index: ..." for anything encode_snapshot_index
// does not write.
result<snapshot_index> decode_snapshot_index(std::string_view bytes);

}  // namespace nagare
