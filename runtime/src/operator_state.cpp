#include "nagare/detail/operator_state.hpp"

#include <string>
#include <vector>

#include "nagare/detail/snapshot.hpp"

namespace nagare::detail {

void operator_state::write(std::vector<std::string>& out) const {
  for (const auto& l : lists_) l->write(out);
}

status operator_state::restore(const std::vector<operator_snapshot>& previous, uint32_t subtask,
                               uint32_t parallelism) {
  for (auto& l : lists_) l->clear();
  std::vector<uint64_t> seen(lists_.size());
  for (const auto& snap : previous) {
    for (const auto& e : snap.entries) {
      byte_reader in(e.data(), e.size());
      std::string name;
      if (!codec<std::string>::decode(in, name))
        return status(errc::io_error, "malformed operator state entry");
      size_t i = 0;
      while (i < lists_.size() && lists_[i]->name() != name) ++i;
      if (i == lists_.size())
        return status(errc::invalid_argument, "snapshot holds operator state '" + name +
                                                  "' that this operator does not declare");
      auto& l = *lists_[i];
      bool keep = l.mode() == redistribution::union_all || seen[i] % parallelism == subtask;
      ++seen[i];
      if (!l.read(in, keep))
        return status(errc::io_error, "malformed entry of operator state '" + name + "'");
    }
  }
  return {};
}

status operator_state::restore_chain_ends(const std::vector<operator_snapshot>& previous,
                                          uint32_t subtask, uint32_t parallelism) {
  return restore(chain_ends(previous), subtask, parallelism);
}

}  // namespace nagare::detail
