// The exception that carries an operator's failure to its task (thrown by
// detail::throw_failure). Included by the runtime, not by jobs.
#pragma once

#include <stdexcept>
#include <utility>

#include "nagare/status.hpp"

namespace nagare::detail {

// Thrown inside a task when an operator fails with a status; the task catches
// it and reports the status (it never leaves the task).
struct operator_failure : std::runtime_error {
  explicit operator_failure(status s) : std::runtime_error(s.message()), st(std::move(s)) {}
  status st;
};

}  // namespace nagare::detail
