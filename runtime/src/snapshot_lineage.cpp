#include "snapshot_lineage.hpp"

#include <algorithm>
#include <set>

namespace nagare {

snapshot_lineage::snapshot_lineage(std::vector<std::string> state_keys)
    : state_keys_(std::move(state_keys)) {}

void snapshot_lineage::restored(uint64_t checkpoint, std::vector<std::vector<uint64_t>> chains) {
  chains_[checkpoint] = std::move(chains);
}

result<std::vector<uint64_t>> snapshot_lineage::take(
    uint64_t id, std::vector<detail::operator_snapshot>& snaps) {
  std::vector<std::vector<uint64_t>> chains(snaps.size());
  std::set<uint64_t> needs;
  for (size_t i = 0; i < snaps.size(); ++i) {
    const auto e = snaps[i].extends;
    if (e == 0) continue;
    auto name = [&] {
      return "operator '" + (i < state_keys_.size() ? state_keys_[i] : "#" + std::to_string(i)) +
             "'";
    };
    if (e >= id)
      return status::invalid_argument(name() + " wrote a delta at checkpoint " +
                                      std::to_string(id) + " that extends checkpoint " +
                                      std::to_string(e) + " (not an earlier one)");
    auto below = chains_.find(e);
    if (below == chains_.end() || i >= below->second.size())
      return status::invalid_argument(
          name() + " wrote a delta at checkpoint " + std::to_string(id) +
          " that extends checkpoint " + std::to_string(e) +
          ", which this task did not take or no longer keeps (a delta extends the newest "
          "checkpoint reported complete, or a later one)");
    chains[i] = below->second[i];
    chains[i].push_back(e);
    needs.insert(chains[i].begin(), chains[i].end());
  }
  for (auto& s : snaps) s.checkpoint = id;
  chains_[id] = std::move(chains);
  return std::vector<uint64_t>(needs.begin(), needs.end());
}

void snapshot_lineage::completed(uint64_t id) {
  std::set<uint64_t> keep;
  for (auto it = chains_.lower_bound(id); it != chains_.end(); ++it)
    for (const auto& chain : it->second) keep.insert(chain.begin(), chain.end());
  for (auto it = chains_.begin(); it != chains_.end() && it->first < id;) {
    if (keep.count(it->first))
      ++it;
    else
      it = chains_.erase(it);
  }
}

std::vector<uint64_t> snapshot_lineage::remembered() const {
  std::vector<uint64_t> out;
  for (const auto& [id, chains] : chains_) out.push_back(id);
  return out;
}

}  // namespace nagare
