// The base of operators with one typed input and one typed output, and the
// exception that carries an operator's failure to its task.
#pragma once

#include <stdexcept>
#include <utility>

#include "nagare/detail/operator.hpp"
#include "nagare/status.hpp"

namespace nagare::detail {

// Thrown inside a task when an operator fails with a status; the task catches
// it and reports the status (it never leaves the task).
struct operator_failure : std::runtime_error {
  explicit operator_failure(status s) : std::runtime_error(s.message()), st(std::move(s)) {}
  status st;
};

template <class In, class Out>
class one_input_operator : public operator_instance, public input_port<In> {
 public:
  void* input() override { return static_cast<input_port<In>*>(this); }
  void connect(void* next) override { next_ = static_cast<input_port<Out>*>(next); }

 protected:
  input_port<Out>* next_ = nullptr;
};

}  // namespace nagare::detail
