// How operator code compiled into a job fails. The exceptions are thrown and
// inspected in libnagare (runtime/src/failure.cpp), so that <stdexcept> stays
// out of every job; the runtime catches them (detail/operator_failure.hpp).
#pragma once

#include <string>

#include "nagare/status.hpp"

namespace nagare::detail {

// Fails the operator's task with `st` (throws operator_failure).
[[noreturn]] void throw_failure(status st);
// A misuse of the job API found while a job runs: std::invalid_argument, or
// std::logic_error for a call that is never allowed where it was made.
[[noreturn]] void throw_invalid_argument(const std::string& what);
[[noreturn]] void throw_logic_error(const std::string& what);

// Inside a catch (...) around user code: the std::exception being handled as
// a status of `code` whose message is "context: what()"; an exception of
// another type is rethrown.
status caught_exception(errc code, const std::string& context);

}  // namespace nagare::detail
