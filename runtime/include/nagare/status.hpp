// Errors as values. Every expected failure in Nagare (bad input, missing file,
// a job that cannot be loaded) is a `status` with a code and a message a user
// can act on; exceptions never cross an actor boundary.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace nagare {

enum class errc {
  ok = 0,
  invalid_argument,  // bad job arguments or options
  not_found,         // a file, job or actor that does not exist
  io_error,          // reading or writing failed
  library_error,     // a job library could not be loaded
  api_mismatch,      // a job library built for another API version
  user_error,        // job code threw
  internal,          // a Nagare bug
  // Appended: the values above keep their numbers (statuses travel between
  // processes as their code's number).
  corruption,         // stored data is damaged or missing (a snapshot, a record)
  unavailable,        // a peer (node, task, coordinator) is gone or unreachable
  timeout,            // a peer did not answer in time
  permission_denied,  // the peer's certificate does not allow the action
};

const char* to_string(errc code);

class status {
 public:
  status() = default;  // ok
  status(errc code, std::string message) : code_(code), message_(std::move(message)) {}

  static status invalid_argument(std::string m) { return {errc::invalid_argument, std::move(m)}; }
  static status not_found(std::string m) { return {errc::not_found, std::move(m)}; }
  static status io_error(std::string m) { return {errc::io_error, std::move(m)}; }

  bool ok() const { return code_ == errc::ok; }
  errc code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  errc code_ = errc::ok;
  std::string message_;
};

// A value or the status that explains why there is none.
template <class T>
class result {
 public:
  result(T value) : value_(std::move(value)) {}       // NOLINT: implicit by design
  result(status error) : error_(std::move(error)) {}  // REQUIRES: !error.ok()

  bool ok() const { return value_.has_value(); }
  // REQUIRES: ok() (std::bad_optional_access otherwise).
  T& value() { return value_.value(); }
  const T& value() const { return value_.value(); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  // REQUIRES: !ok() (an ok status otherwise).
  const status& error() const { return error_; }

 private:
  std::optional<T> value_;
  status error_;
};

}  // namespace nagare
