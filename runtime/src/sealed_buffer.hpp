// A buffer sealed for storage: a 16-byte header, then the body (a FlatBuffers
// buffer in practice). Snapshots and checkpoint records use it.
//
//   bytes 0..3   magic (what the buffer is)
//   bytes 4..7   format version, uint32 little-endian
//   bytes 8..15  hash_bytes of the body, uint64 little-endian
//
// The checksum covers every byte of the body, so any changed byte is
// detected (hash_bytes is a chain of bijections: two bodies of the same
// length that differ in one word never collide).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nagare {

using seal_magic = char[4];

std::string seal(const seal_magic& magic, uint32_t version, const void* body, size_t size);

// Why a buffer could not be unsealed.
enum class seal_damage {
  none,
  foreign,  // another magic: not this kind of buffer
  version,  // another format version (see `found_version`)
  damaged,  // too short, or the checksum does not match (see `why`)
};

struct unsealed {
  seal_damage damage = seal_damage::none;
  std::string_view body;  // when damage == none
  uint32_t found_version = 0;
  std::string why;  // for damaged: "N bytes, shorter than its header" or "checksum mismatch"
};

unsealed unseal(std::string_view bytes, const seal_magic& magic, uint32_t version);

}  // namespace nagare
