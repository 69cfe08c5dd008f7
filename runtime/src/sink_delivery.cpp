#include "sink_delivery.hpp"

namespace nagare {

std::vector<sink_delivery> sink_deliveries(const detail::graph& g, bool at_least_once) {
  std::vector<sink_delivery> out;
  for (const auto& n : g.nodes) {
    if (n.kind != "sink") continue;
    auto effective = capped(n.guarantee, at_least_once);
    out.push_back({n.name, n.guarantee, effective});
  }
  return out;
}

status check_delivery(const std::vector<sink_delivery>& sinks, bool require_exactly_once,
                      bool at_least_once) {
  if (!require_exactly_once) return {};
  if (at_least_once && !sinks.empty())
    return status::invalid_argument(
        "--require-exactly-once cannot be honoured with --at-least-once checkpoints");
  for (const auto& s : sinks)
    if (s.effective != delivery_guarantee::exactly_once)
      return status::invalid_argument("--require-exactly-once cannot be honoured: sink '" + s.sink +
                                      "' is " + to_string(s.declared));
  return {};
}

}  // namespace nagare
