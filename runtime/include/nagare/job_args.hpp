// A job's own arguments (what follows "--" on the nagare command line), in the
// form "--name value [value...]" and "--flag".
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nagare/status.hpp"

namespace nagare {

class job_args {
 public:
  job_args() = default;
  explicit job_args(std::vector<std::string> argv) : argv_(std::move(argv)) {}

  const std::vector<std::string>& all() const { return argv_; }
  bool has(std::string_view option) const;
  // Every value after `option` up to the next "--option".
  std::vector<std::string> values(std::string_view option) const;
  // The single value of `option`: an error if missing or given several values.
  result<std::string> required(std::string_view option) const;
  // The signed integer value of `option`, or `fallback` when absent.
  result<int64_t> integer(std::string_view option, int64_t fallback) const;
  // The same, and an error "OPTION must be >= AT_LEAST, got X" below `at_least`.
  result<int64_t> integer(std::string_view option, int64_t fallback, int64_t at_least) const;
  // An error naming the first option not in `known`, or a stray value.
  status only(std::initializer_list<std::string_view> known) const;

 private:
  std::vector<std::string> argv_;
};

}  // namespace nagare
