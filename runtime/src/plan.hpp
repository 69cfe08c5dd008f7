// The physical plan: the logical graph with operators chained into vertices,
// the exchanges between vertices, and the channel layout of every task.
// Pure data; the coordinator schedules from it without loading user code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nagare/detail/graph.hpp"
#include "nagare/hash.hpp"
#include "nagare/status.hpp"

namespace nagare {

struct plan_options {
  uint32_t parallelism = 1;
  uint32_t max_parallelism = default_max_parallelism;
};

struct vertex {
  uint32_t id = 0;
  std::string name;             // chained operator names, "a -> b"
  std::vector<uint32_t> nodes;  // logical node ids, head first
  uint32_t parallelism = 1;
  bool is_source = false;
  // A source on the split contract: its enumerator, and the key its
  // snapshot is stored under (the head operator's state key).
  std::optional<enumerator_spec> enumerator;
  std::string enumerator_key;
};

struct exchange {
  uint32_t source = 0;  // vertex ids
  uint32_t target = 0;
  detail::partition kind = detail::partition::forward;
  uint32_t gate = 0;  // index among the target's inputs
};

// One end of a channel: the task at the other side and its channel index.
struct channel_peer {
  uint32_t vertex = 0;
  uint32_t subtask = 0;
  uint32_t channel = 0;  // the peer's own index of this channel
};

struct physical_plan {
  std::string job_name;
  uint32_t max_parallelism = 128;
  std::vector<vertex> vertices;
  std::vector<exchange> exchanges;
  uint64_t fingerprint = 0;

  std::vector<exchange> inputs_of(uint32_t v) const;   // by gate
  std::vector<exchange> outputs_of(uint32_t v) const;  // in plan order
  // Channels of a task: output channel i goes to result[i]; input channel i
  // comes from result[i]. Forward exchanges have one channel, others one per
  // peer subtask.
  std::vector<channel_peer> output_channels(uint32_t v, uint32_t subtask) const;
  std::vector<channel_peer> input_channels(uint32_t v, uint32_t subtask) const;
  // First output channel of each output exchange of `v` (same order as outputs_of).
  std::vector<uint32_t> output_offsets(uint32_t v) const;
  // The gate of each input channel of a task.
  std::vector<uint32_t> input_gates(uint32_t v) const;

  uint32_t task_count() const;
  uint32_t task_index(uint32_t v, uint32_t subtask) const;  // dense, vertex-major
  uint32_t max_vertex_parallelism() const;
};

// Chains the graph's operators and resolves parallelism and partitioning.
// Errors name the offending operator.
result<physical_plan> make_plan(const detail::graph& g, const std::string& job_name,
                                const plan_options& opts);

std::string encode_plan(const physical_plan& p);
result<physical_plan> decode_plan(const std::string& bytes);

// Human-readable plan: one line per vertex, for logs and `nagare run --plan`.
std::string describe(const physical_plan& p);

}  // namespace nagare
