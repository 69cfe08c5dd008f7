// What a flat_map (or a source) emits into: each emit() passes one record to
// the next operator of the chain at once, by function call.
#pragma once

#include <cstdint>
#include <utility>

#include "nagare/detail/operator.hpp"

namespace nagare {

template <class T>
class collector {
 public:
  explicit collector(detail::input_port<T>* next) : next_(next) {}
  void emit(T record) {
    ++emitted_;
    next_->push(record);
  }
  void operator()(T record) { emit(std::move(record)); }
  // Records emitted through this collector so far.
  uint64_t emitted() const { return emitted_; }

 private:
  detail::input_port<T>* next_;
  uint64_t emitted_ = 0;
};

}  // namespace nagare
