// The fuzz targets, one per decoder of bytes from outside the process (see
// docs/fuzzing.md). Each returns 0 (libFuzzer's convention) and reports a
// broken invariant through fuzz::fail (fuzz_support.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nagare::fuzz {

// Batch header and payload as a task receives them from another process.
int fuzz_batch(const uint8_t* data, size_t size);
// The record codecs of the public API (nagare/codec.hpp, flat.hpp, tuple.hpp).
int fuzz_record_codec(const uint8_t* data, size_t size);
// A job plan as the coordinator and the nodes decode it.
int fuzz_plan(const uint8_t* data, size_t size);
// A stored snapshot: its frames, whole or chunk by chunk.
int fuzz_snapshot_stream(const uint8_t* data, size_t size);
// An operator's snapshot contents (keyed state, operator state) on restore.
int fuzz_operator_snapshot(const uint8_t* data, size_t size);
// Inputs of it made from the snapshots of its job's operators after some records.
std::vector<std::string> operator_snapshot_seeds();
// The snapshots a restoring task assembles into chains.
int fuzz_restore_assembly(const uint8_t* data, size_t size);
// Checkpoint records and snapshot indexes of the checkpoint store.
int fuzz_checkpoint_record(const uint8_t* data, size_t size);
// Job records and keys of the coordinator's metadata store.
int fuzz_job_record(const uint8_t* data, size_t size);
// A job's arguments.
int fuzz_job_args(const uint8_t* data, size_t size);
// Lines of a text file through the text source and the parse adapter.
int fuzz_lines(const uint8_t* data, size_t size);
// A JSON message through json_reader's parse and accessors, and json_writer.
int fuzz_json(const uint8_t* data, size_t size);

}  // namespace nagare::fuzz
