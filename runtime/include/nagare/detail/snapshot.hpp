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

  bool empty() const { return key_groups.empty() && entries.empty(); }
  bool operator==(const operator_snapshot& o) const {
    return key_groups == o.key_groups && entries == o.entries;
  }
  bool operator!=(const operator_snapshot& o) const { return !(*this == o); }
};

}  // namespace nagare::detail
