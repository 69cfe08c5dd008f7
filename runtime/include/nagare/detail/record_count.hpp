// A count of records an operator set aside on a side output (a window
// operator's late records), kept in its operator state so that it is exact
// across restores and rescaling: each subtask's count is an even_split
// element, and a subtask's count is the sum of the elements it holds.
// Not thread-safe: owned by one operator instance in one task.
#pragma once

#include <cstdint>
#include <string>

#include "nagare/state.hpp"

namespace nagare::detail {

class record_count {
 public:
  // Binds the count to the operator state `name` (call from declare()).
  void declare(state_context& ctx, const std::string& name) {
    state_ = ctx.operator_list<uint64_t>(name, redistribution::even_split);
    bound_ = true;
  }
  // Late records are rare: the copy does not matter.
  void add() {
    auto values = state_.get();
    if (values.empty()) values.push_back(0);
    ++values.front();
    state_.update(std::move(values));
  }
  uint64_t total() const {
    if (!bound_) return 0;
    uint64_t sum = 0;
    for (auto v : state_.get()) sum += v;
    return sum;
  }

 private:
  operator_list_state<uint64_t> state_;
  bool bound_ = false;
};

}  // namespace nagare::detail
