// A task's snapshot as it is stored: a stream of frames, written and read a
// frame at a time, so that neither taking nor restoring a snapshot needs all
// of its keyed state in memory at once (schemas/snapshot.fbs).
//
// A frame is a sealed buffer (sealed_buffer.hpp: magic "NGSN", format
// version 3, checksum) whose body is its length (uint64 LE) and a FlatBuffers
// ChainSnapshot. Every frame lists every operator of the chain; an operator's
// key groups ascend over the whole stream, each once. The last frame
// (ChainSnapshot.last) holds the operators' entries, extends and checkpoint;
// nothing follows it. Streams of versions 1 and 2 were one sealed
// ChainSnapshot; they are still read.
//
// Writing: snapshot_encoder hands out a key_group_writer per operator
// (operator_snapshot::stream) and writes a frame whenever the key groups
// written add up to frame_bytes; finish() writes the rest as the last frame.
// Reading: read_snapshot_stream() reads the frames from a snapshot's chunks
// (the store's, or bytes in memory), checks every one, and returns the
// operators' entries and links, leaving their key groups in the store
// (operator_snapshot::stored reads them back, a frame at a time).
//
// Damage (a changed, missing or extra byte) is an io_error "damaged
// snapshot: ...", never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nagare/detail/snapshot.hpp"
#include "nagare/status.hpp"

namespace nagare {

// Key group bytes after which the encoder writes a frame: it holds about
// three times this much at once (the key groups, the frame being built, the
// sealed frame), whatever the size of the snapshot.
constexpr size_t snapshot_frame_bytes = size_t{1} << 20;

class snapshot_encoder {
 public:
  // Receives each frame, in order; an error stops the encoding (finish()
  // returns it).
  using sink = std::function<status(std::string&& frame)>;

  snapshot_encoder(size_t operators, sink out, size_t frame_bytes = snapshot_frame_bytes);
  ~snapshot_encoder();
  snapshot_encoder(const snapshot_encoder&) = delete;
  snapshot_encoder& operator=(const snapshot_encoder&) = delete;

  // The writer of operator `op`'s key groups. A key group not above the
  // operator's previous one is an error (finish() reports it).
  detail::key_group_writer* writer(size_t op);

  // Writes the last frame: what `snapshots` (one per operator) still hold in
  // memory (key groups above those written, entries), their extends and
  // checkpoint. Frees their state as it goes. Returns the first error: of
  // the sink, or an operator's key groups out of order.
  status finish(std::vector<detail::operator_snapshot>& snapshots);

  // Bytes handed to the sink so far.
  uint64_t bytes() const { return bytes_; }

 private:
  class operator_writer;
  void add(size_t op, uint32_t kg, std::string&& bytes);
  void write_frame(std::vector<detail::operator_snapshot>* last);

  sink out_;
  size_t frame_bytes_;
  std::vector<std::unique_ptr<operator_writer>> writers_;
  std::vector<std::vector<std::pair<uint32_t, std::string>>> pending_;  // per operator
  std::vector<int64_t> last_key_group_;                                 // per operator; -1: none
  size_t pending_bytes_ = 0;
  uint64_t bytes_ = 0;
  status error_;
};

// Chunk `chunk` of a stored snapshot (chunks are numbered from 0), and how
// many it has.
struct snapshot_chunk {
  uint32_t chunks = 0;
  std::string bytes;
};
using snapshot_chunk_source = std::function<result<snapshot_chunk>(uint32_t chunk)>;

// Which part of a snapshot a reader wants: the result has an entry for every
// operator (with its extends and checkpoint) either way, but only the kept
// operators have state: of their keyed state only the key groups in
// [first_key_group, end_key_group), and all of their operator state entries.
// Damage anywhere is still detected.
struct snapshot_filter {
  std::vector<bool> operators;  // keep operator i if operators[i]; empty: keep all
  uint32_t first_key_group = 0;
  uint32_t end_key_group = UINT32_MAX;
};

// Reads a stored snapshot, checking every frame. The kept operators' key
// groups stay in the store: each such operator_snapshot's `stored` reads
// them from `source` again when visited (so `source` must stay readable
// until then). A snapshot of one chunk is read into memory instead.
result<std::vector<detail::operator_snapshot>> read_snapshot_stream(snapshot_chunk_source source,
                                                                    const snapshot_filter& keep);

// A whole snapshot in memory (every chunk concatenated), key groups included.
result<std::vector<detail::operator_snapshot>> decode_snapshot_stream(std::string_view bytes,
                                                                      const snapshot_filter& keep);

}  // namespace nagare
