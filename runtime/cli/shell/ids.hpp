// The ids the admin shell's commands take, checked before anything is asked
// of the coordinator (which checks that they exist).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace nagare::cli::shell {

// 1 to 19 decimal digits (so that it fits in 64 bits).
inline bool digits(const std::string& s) {
  return !s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

// A job or checkpoint id; nullopt unless digits().
inline std::optional<uint64_t> parse_id(const std::string& text) {
  if (!digits(text)) return std::nullopt;
  return std::stoull(text);
}

// "JOB.TASK" with both parts in range, as `actors JOB` lists them.
inline bool valid_actor_id(const std::string& text) {
  auto dot = text.find('.');
  if (dot == std::string::npos) return false;
  auto task = text.substr(dot + 1);
  return parse_id(text.substr(0, dot)) && digits(task) && task.size() <= 10 &&
         std::stoull(task) <= UINT32_MAX;
}

}  // namespace nagare::cli::shell
