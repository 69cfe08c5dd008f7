// The logical graph a job declares: one node per operator, each with the
// factories that create its per-subtask instances. Built by the fluent API in
// the job library, read by the planner (which chains nodes into vertices) and
// by the task builder on the node that runs a subtask.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nagare/delivery_guarantee.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/function.hpp"
#include "nagare/owned.hpp"
#include "nagare/split.hpp"
#include "nagare/status.hpp"

namespace nagare::detail {

struct input_edge {
  uint32_t from = 0;  // producing node
  partition kind = partition::forward;
  // Creates the writer that routes the producer's records to this node's subtasks.
  function<owned<exchange_writer>(const writer_config&)> make_writer;
};

struct node_spec {
  uint32_t id = 0;
  std::string kind;  // "source", "map", "flat_map", "filter", "reduce", "aggregate", "sink"
  std::string name;
  std::string uid;
  uint32_t parallelism = 0;  // 0: the job's default
  std::vector<input_edge> inputs;
  function<owned<operator_instance>()> make_operator;
  function<owned<batch_reader>()> make_reader;    // unpacks this node's input
  function<owned<operator_instance>()> make_tee;  // fans out this node's output
  function<status()> validate;
  // A sink's: what its descriptor declares (nagare/delivery_guarantee.hpp).
  delivery_guarantee guarantee = delivery_guarantee::at_least_once;
  // Sources on the split contract: their enumerator at a parallelism
  // (nagare/split.hpp); empty for a source that deals out its own splits.
  function<enumerator_spec(uint32_t)> enumerator;
  bool is_source() const { return kind == "source"; }
};

class graph {
 public:
  node_spec& add(std::string kind, std::string name) {
    auto& n = nodes.emplace_back();
    n.id = static_cast<uint32_t>(nodes.size() - 1);
    n.kind = std::move(kind);
    n.name = std::move(name);
    return n;
  }
  std::vector<node_spec> nodes;
};

}  // namespace nagare::detail
