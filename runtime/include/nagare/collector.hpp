// What a flat_map (or a source) emits into: each emit() passes one record to
// the next operator of the chain at once, by function call.
#pragma once

#include <utility>

#include "nagare/detail/operator.hpp"

namespace nagare {

template <class T>
class collector {
 public:
  explicit collector(detail::input_port<T>* next) : next_(next) {}
  void emit(T record) { next_->push(record); }
  void operator()(T record) { next_->push(record); }

 private:
  detail::input_port<T>* next_;
};

}  // namespace nagare
