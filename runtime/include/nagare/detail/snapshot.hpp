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
// The serialized form of a whole chain's snapshots is encode_snapshots()
// (runtime/src/task_chain.hpp, schemas/snapshot.fbs).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nagare::detail {

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

  // No state in it (for a delta: no change).
  bool empty() const { return key_groups.empty() && entries.empty(); }
  bool operator==(const operator_snapshot& o) const {
    return key_groups == o.key_groups && entries == o.entries && extends == o.extends &&
           checkpoint == o.checkpoint;
  }
  bool operator!=(const operator_snapshot& o) const { return !(*this == o); }
};

}  // namespace nagare::detail
