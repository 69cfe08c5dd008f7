// The operators of one task (one subtask of a vertex) wired together: an
// optional source or batch readers at the head, the chained operators, and
// exchange writers at the tail. The task actor drives it.
//
// Threading: used by exactly one task actor. Functions that run job code may
// throw; the task catches at its boundary.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nagare/detail/graph.hpp"
#include "nagare/detail/operator.hpp"
#include "plan.hpp"

namespace nagare {

struct chain_options {
  uint32_t batch_records = 1024;
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

 private:
  subtask_info info_;
  std::vector<std::unique_ptr<detail::operator_instance>> operators_;  // head to tail, writers last
  std::vector<std::unique_ptr<detail::batch_reader>> readers_;         // one per input gate
  std::vector<detail::exchange_writer*> writers_;
  detail::source_instance* source_ = nullptr;
};

}  // namespace nagare
