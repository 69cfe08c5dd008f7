#include "scheduler.hpp"

namespace nagare {

result<std::vector<uint32_t>> assign_slots(uint32_t needed, const std::vector<node_slots>& nodes) {
  uint32_t free_total = 0;
  std::vector<uint32_t> free(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    free[i] = nodes[i].alive && nodes[i].total > nodes[i].used ? nodes[i].total - nodes[i].used : 0;
    free_total += free[i];
  }
  if (free_total < needed)
    return status::invalid_argument("job needs " + std::to_string(needed) +
                                    " slots but the cluster has " + std::to_string(free_total) +
                                    " free");
  std::vector<uint32_t> out;
  for (size_t i = 0; out.size() < needed; i = (i + 1) % nodes.size()) {
    if (free[i] == 0) continue;
    --free[i];
    out.push_back(static_cast<uint32_t>(i));
  }
  return out;
}

}  // namespace nagare
