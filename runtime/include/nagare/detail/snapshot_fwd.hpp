// What operator code compiled into a job sees of a snapshot
// (detail/snapshot.hpp, which only the runtime includes): the snapshot as an
// opaque type, the sink for key groups, and the calls into libnagare that
// read and write a snapshot's operator state entries. Keeps <map>, <memory>
// and <functional> out of every job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nagare/status.hpp"

namespace nagare::detail {

struct operator_snapshot;

// Takes a snapshot's key groups as an operator writes them, in ascending
// key group order, each once.
class key_group_writer {
 public:
  virtual ~key_group_writer() = default;
  virtual void write(uint32_t key_group, std::string&& bytes) = 0;
};

// The operator state entries of `s` (operator_snapshot::entries).
std::vector<std::string>& entries_of(operator_snapshot& s);

// previous.size() (the vector's element type is incomplete here).
size_t snapshot_count(const std::vector<operator_snapshot>& previous);

// Restores of operators without keyed state: an error naming `owner` ("a
// sink", say) when a snapshot in `previous` holds keyed state; otherwise the
// operator state entries of every snapshot, in order, appended to `out`
// (null: only the check).
status gather_entries(const std::vector<operator_snapshot>& previous, const char* owner,
                      std::vector<std::string>* out);

}  // namespace nagare::detail
