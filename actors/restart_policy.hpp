// How a job restarts after a failure: not at all, after a fixed delay, or
// after a delay that doubles with every attempt up to a maximum; each with a
// maximum number of attempts, after which the job is FAILED.
//
//   none
//   fixed-delay:DELAY_MS:ATTEMPTS
//   exponential:INITIAL_MS:MAX_MS:ATTEMPTS
//
// An empty spec is the default: fixed-delay:500:10 for a job with periodic
// checkpoints, none for one without (it would replay its whole input).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "nagare/status.hpp"

namespace nagare {

class restart_policy {
 public:
  enum class kind { none, fixed_delay, exponential };

  static result<restart_policy> parse(const std::string& spec, bool checkpointing);

  // The delay before restart attempt `attempt` (1: the first restart), or
  // nullopt when no attempt is left.
  std::optional<std::chrono::milliseconds> delay(uint32_t attempt) const;
  uint32_t max_attempts() const { return attempts_; }
  std::string describe() const;

 private:
  kind kind_ = kind::none;
  uint32_t delay_ms_ = 0;
  uint32_t max_delay_ms_ = 0;
  uint32_t attempts_ = 0;
};

}  // namespace nagare
