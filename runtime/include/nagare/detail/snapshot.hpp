// The state of one operator instance at a checkpoint, in a form that can be
// restored with another parallelism. Two kinds of state, as in Flink:
//
//  - keyed state, one byte string per key group. A restored subtask reads
//    exactly the key groups it owns (key_groups_of(subtask, max_parallelism,
//    parallelism)), whichever subtask wrote them;
//  - operator state: a list of independent entries (a source's split
//    positions, for instance) that the restored subtasks divide among
//    themselves.
//
// A snapshot is complete (extends == 0) or a delta: it then holds only what
// changed since this operator's snapshot at checkpoint `extends`, taken by
// the same task (same task index, same state key) of the same job, which a
// restore applies first. An operator's chain is a complete snapshot followed
// by deltas, each extending the one before (checkpoint ids need not be
// consecutive). How a delta encodes changes and deletions inside its key
// groups and entries is the operator's own business. The runtime keeps every
// snapshot a kept checkpoint's chains need and hands restore() whole chains
// (see operator_instance::restore).
//
// The bytes inside are the operator's own (keys and values in their codecs,
// see keyed_map); the runtime stores and ships them without looking inside.
// The serialized form of a whole chain's snapshots is a stream of frames
// (runtime/src/snapshot_stream.hpp, schemas/snapshot.fbs).
//
// Keyed state larger than memory never has to be whole on the heap: when
// taking a snapshot the runtime may give the operator a key_group_writer
// (`stream`) that encodes and stores each key group as it comes
// (add_key_group), and on a restore a snapshot's key groups may stay stored
// (`stored`), read back a frame at a time (for_each_key_group).
#pragma once

#include <cstdint>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/detail/snapshot_fwd.hpp"
#include "nagare/function.hpp"
#include "nagare/status.hpp"

namespace nagare::detail {

// A key_group_writer that keeps the key groups in a map.
class key_group_map_writer final : public key_group_writer {
 public:
  explicit key_group_map_writer(std::map<uint32_t, std::string>& out) : out_(&out) {}
  void write(uint32_t key_group, std::string&& bytes) override {
    (*out_)[key_group] = std::move(bytes);
  }

 private:
  std::map<uint32_t, std::string>* out_;
};

// A stored snapshot's key groups (of one operator, in the restoring
// subtask's range), read back on demand: for_each() visits them in
// ascending order, and may be called again. Damage found on the way is an
// io_error; an error f returns stops the visit and is returned.
class key_group_reader {
 public:
  using visitor = function<status(uint32_t key_group, const std::string& bytes)>;
  virtual ~key_group_reader() = default;
  virtual status for_each(const visitor& f) const = 0;
};

struct operator_snapshot {
  std::map<uint32_t, std::string> key_groups;  // key group -> its entries; only non-empty ones
  std::vector<std::string> entries;            // operator state, in no particular order
  // 0: complete. Otherwise the checkpoint whose snapshot (of the same task
  // and operator) this one holds the changes since; it is below `checkpoint`.
  uint64_t extends = 0;
  // The checkpoint this snapshot was taken at. The runtime sets it when it
  // takes the snapshot (an operator may leave it 0) and on every snapshot it
  // hands to restore().
  uint64_t checkpoint = 0;

  // Taking a snapshot: when set (by the runtime, before the operator's
  // snapshot()), add_key_group() hands key groups to it rather than keeping
  // them in key_groups. Not owned.
  key_group_writer* stream = nullptr;
  // Restoring: key groups still in the store, besides those in key_groups
  // (set only when it holds at least one).
  std::shared_ptr<const key_group_reader> stored = nullptr;

  // Adds key group `kg` (above every key group added before).
  void add_key_group(uint32_t kg, std::string&& bytes) {
    if (stream)
      stream->write(kg, std::move(bytes));
    else
      key_groups[kg] = std::move(bytes);
  }
  // Visits every key group, those in key_groups first, then the stored ones.
  status for_each_key_group(const key_group_reader::visitor& f) const {
    for (const auto& [kg, bytes] : key_groups) {
      auto st = f(kg, bytes);
      if (!st.ok()) return st;
    }
    return stored ? stored->for_each(f) : status{};
  }
  bool has_key_groups() const { return !key_groups.empty() || stored != nullptr; }

  // No state in it (for a delta: no change).
  bool empty() const { return !has_key_groups() && entries.empty(); }
  // Compares the state in memory (not `stream` or `stored`).
  bool operator==(const operator_snapshot& o) const {
    return key_groups == o.key_groups && entries == o.entries && extends == o.extends &&
           checkpoint == o.checkpoint;
  }
  bool operator!=(const operator_snapshot& o) const { return !(*this == o); }
};

// The last snapshot of each chain in `previous` (a complete snapshot
// followed by the deltas over it, chain after chain), with its operator state
// entries only: operator state is written complete into every snapshot, so a
// restore reads it from the end of each chain. (libnagare)
std::vector<operator_snapshot> chain_ends(const std::vector<operator_snapshot>& previous);

}  // namespace nagare::detail
