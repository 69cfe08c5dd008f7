// The parts of operator snapshots that operator code in a job reaches through
// detail/snapshot_fwd.hpp, and the default restore of an operator.
#include <string>
#include <utility>
#include <vector>

#include "nagare/detail/operator.hpp"
#include "nagare/detail/snapshot.hpp"

namespace nagare::detail {

std::vector<std::string>& entries_of(operator_snapshot& s) { return s.entries; }

size_t snapshot_count(const std::vector<operator_snapshot>& previous) { return previous.size(); }

status gather_entries(const std::vector<operator_snapshot>& previous, const char* owner,
                      std::vector<std::string>* out) {
  for (const auto& snap : previous) {
    if (snap.has_key_groups())
      return status(errc::invalid_argument,
                    std::string("snapshot of ") + owner + " holds keyed state");
    if (out) out->insert(out->end(), snap.entries.begin(), snap.entries.end());
  }
  return {};
}

std::vector<operator_snapshot> chain_ends(const std::vector<operator_snapshot>& previous) {
  std::vector<operator_snapshot> out;
  for (size_t i = 0; i < previous.size(); ++i) {
    if (i + 1 < previous.size() && previous[i + 1].extends != 0) continue;
    operator_snapshot s;
    s.entries = previous[i].entries;
    s.checkpoint = previous[i].checkpoint;
    out.push_back(std::move(s));
  }
  return out;
}

status operator_instance::restore(const std::vector<operator_snapshot>& previous,
                                  const subtask_info& info) {
  (void)info;
  for (const auto& s : previous)
    if (!s.empty())
      return status(errc::invalid_argument, "snapshot holds state for an operator that keeps none");
  return {};
}

}  // namespace nagare::detail
