// The base of operators with one typed input and one typed output. They fail
// their task through detail/failure.hpp.
#pragma once

#include "nagare/detail/failure.hpp"
#include "nagare/detail/operator.hpp"

namespace nagare::detail {

template <class In, class Out>
class one_input_operator : public operator_instance, public input_port<In> {
 public:
  void* input() override { return static_cast<input_port<In>*>(this); }
  void connect(void* next) override { next_ = static_cast<input_port<Out>*>(next); }

 protected:
  input_port<Out>* next_ = nullptr;
};

}  // namespace nagare::detail
