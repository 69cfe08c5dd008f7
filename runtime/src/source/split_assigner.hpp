// Which subtask reads a split: round-robin in discovery order, split number
// i (counted from the first split the assigner sees) to subtask
// i % parallelism. Deterministic and pure, so a file source keeps the
// dealing of a static one (file i to subtask i % p) at any parallelism, and a
// restore that re-deals every known split in its discovery order deals them
// as a fresh start at the new parallelism would.
#pragma once

#include <cstdint>
#include <vector>

#include "nagare/split.hpp"

namespace nagare {

class split_assigner {
 public:
  explicit split_assigner(uint32_t parallelism) : parallelism_(parallelism ? parallelism : 1) {}
  uint32_t parallelism() const { return parallelism_; }
  // The subtask of the next split.
  uint32_t next() {
    auto s = static_cast<uint32_t>(count_ % parallelism_);
    ++count_;
    return s;
  }
  // Deals `splits` (in discovery order): result[s] are subtask s's, in order.
  std::vector<std::vector<source_split>> assign(std::vector<source_split> splits) {
    std::vector<std::vector<source_split>> out(parallelism_);
    for (auto& s : splits) out[next()].push_back(std::move(s));
    return out;
  }
  uint64_t assigned() const { return count_; }

 private:
  uint32_t parallelism_;
  uint64_t count_ = 0;
};

}  // namespace nagare
