// The delivery guarantee each sink of a job gets: what its descriptor
// declares (nagare/delivery_guarantee.hpp), capped by the job's checkpoint
// mode (--at-least-once makes every sink at-least-once), and the check of
// --require-exactly-once. Done once, by the client that submits the job.
#pragma once

#include <string>
#include <vector>

#include "nagare/delivery_guarantee.hpp"
#include "nagare/detail/graph.hpp"
#include "nagare/status.hpp"

namespace nagare {

struct sink_delivery {
  std::string sink;  // the sink operator's name
  delivery_guarantee declared = delivery_guarantee::at_least_once;
  delivery_guarantee effective = delivery_guarantee::at_least_once;
};

// Per sink of `g`, in graph order.
std::vector<sink_delivery> sink_deliveries(const detail::graph& g, bool at_least_once);

// Ok unless `require_exactly_once` and some sink is not exactly-once; the
// error names the first such sink and why (what it declares, or the
// checkpoint mode).
status check_delivery(const std::vector<sink_delivery>& sinks, bool require_exactly_once,
                      bool at_least_once);

}  // namespace nagare
