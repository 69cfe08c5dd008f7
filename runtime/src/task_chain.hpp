// The operators of one task (one subtask of a vertex) wired together: an
// optional source or batch readers at the head, the chained operators, and
// exchange writers at the tail. The task actor drives it.
//
// Threading: used by exactly one task actor. Functions that run job code may
// throw; the task catches at its boundary.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nagare/detail/graph.hpp"
#include "nagare/detail/operator.hpp"
#include "plan.hpp"

namespace nagare {

struct chain_options {
  uint32_t batch_records = 1024;
  uint64_t restored_checkpoint = 0;  // see subtask_info
  uint32_t attempt = 0;
  state_backend_options state = {};  // see subtask_info
};

class task_chain {
 public:
  static result<std::unique_ptr<task_chain>> build(const detail::graph& g, const physical_plan& p,
                                                   uint32_t vertex, uint32_t subtask,
                                                   detail::batch_emitter* emitter,
                                                   const chain_options& opts);

  const subtask_info& info() const { return info_; }
  bool is_source() const { return source_ != nullptr; }
  size_t input_gates() const { return readers_.size(); }

  status open();
  // Sources: pushes at most `max_records` records through the chain.
  status poll(size_t max_records, uint64_t& emitted, bool& end) {
    return source_->poll(max_records, emitted, end);
  }
  // Pushes a batch that arrived on input gate `gate` through the chain.
  size_t process(uint32_t gate, detail::record_batch& batch) {
    return readers_[gate]->process(batch);
  }
  result<std::shared_ptr<detail::record_batch>> decode(uint32_t gate, const char* data, size_t size,
                                                       uint32_t count) const {
    return readers_[gate]->decode(data, size, count);
  }
  // Emits the partially filled output batches.
  void flush();
  // End of all input: each operator emits what it still holds, head to tail.
  void finish();
  status close();
  uint64_t state_entries() const;

  // The graph nodes of the chain's operators, head to tail: the operators
  // that snapshot() and restore() speak of (the runtime's tee and exchange
  // writers are not among them and keep no state).
  const std::vector<uint32_t>& nodes() const { return nodes_; }

  // The stable name of each operator's state, head to tail: its uid, or
  // "#<graph node id>" without one. A restore matches operators by it.
  const std::vector<std::string>& state_keys() const { return state_keys_; }

  // A checkpoint barrier passed the chain: flushes the output batches (the
  // records before the barrier leave before it) and lets every operator
  // prepare (sinks pre-commit). Then snapshot().
  status prepare_checkpoint(uint64_t id);
  // Checkpoint `id` is complete (sinks commit).
  status checkpoint_complete(uint64_t id);

  // The state of every operator, one snapshot per entry of nodes(), in that
  // order (empty for operators without state).
  // REQUIRES: open() succeeded; called between records.
  std::vector<detail::operator_snapshot> snapshot() const;

  // Restores every operator from an earlier run: per_operator[i] holds the
  // snapshots of all subtasks of nodes()[i] in that run, at any parallelism
  // (empty: no earlier state for it). An error names the operator.
  // REQUIRES: open() succeeded; no record processed or polled yet.
  status restore(const std::vector<std::vector<detail::operator_snapshot>>& per_operator);

 private:
  subtask_info info_;
  std::vector<uint32_t> nodes_;     // graph node of operators_[i], for i < nodes_.size()
  std::vector<std::string> names_;  // their names, for messages
  std::vector<std::string> state_keys_;
  std::vector<std::unique_ptr<detail::operator_instance>> operators_;  // head to tail, writers last
  std::vector<std::unique_ptr<detail::batch_reader>> readers_;         // one per input gate
  std::vector<detail::exchange_writer*> writers_;
  detail::source_instance* source_ = nullptr;
};

// The serialized form of one task's snapshots (task_chain::snapshot()), as
// the checkpoint store keeps them: a 16-byte header (magic "NGSN", format
// version, 64-bit hash_bytes checksum of the rest) followed by a FlatBuffers
// ChainSnapshot (schemas/snapshot.fbs). decode_snapshots() detects damage
// (any changed or missing byte) and returns an io_error; it never crashes on
// malformed input. The rvalue encode_snapshots() frees each piece of state
// as soon as it is encoded (the snapshots and their encoding are never both
// whole in memory); `snapshots` is empty after it.
std::string encode_snapshots(const std::vector<detail::operator_snapshot>& snapshots);
std::string encode_snapshots(std::vector<detail::operator_snapshot>&& snapshots);
result<std::vector<detail::operator_snapshot>> decode_snapshots(std::string_view bytes);

// What decode_snapshots() copies out of the buffer. The result has an entry
// for every operator (with its extends and checkpoint) either way, but only
// the kept operators have state: of their keyed state only the key groups in
// [first_key_group, end_key_group), and all of their operator state entries.
// Damage anywhere in the buffer is still detected.
struct snapshot_filter {
  std::vector<bool> operators;  // keep operator i if operators[i]; empty: keep all
  uint32_t first_key_group = 0;
  uint32_t end_key_group = UINT32_MAX;
};
result<std::vector<detail::operator_snapshot>> decode_snapshots(std::string_view bytes,
                                                                const snapshot_filter& keep);

}  // namespace nagare
