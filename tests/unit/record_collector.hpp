// A batch emitter that keeps every record a chain emits, for tests that run
// task chains without a task.
#pragma once

#include <cstdint>
#include <vector>

#include "nagare/detail/batch.hpp"
#include "nagare/detail/operator.hpp"

namespace nagare::test {

template <class R>
class record_collector final : public detail::batch_emitter {
 public:
  void emit(uint32_t, owned<detail::record_batch> batch) override {
    const auto& rs = static_cast<const detail::typed_batch<R>&>(*batch).records;
    got.insert(got.end(), rs.begin(), rs.end());
  }
  std::vector<R> got;
};

}  // namespace nagare::test
