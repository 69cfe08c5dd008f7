#include "restart_policy.hpp"

#include <vector>

namespace nagare {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep)
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

// A whole number in [min, max], or nullopt.
std::optional<uint32_t> number(const std::string& s, uint64_t min, uint64_t max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v < min || v > max) return std::nullopt;
  return static_cast<uint32_t>(v);
}

constexpr uint64_t max_delay = 3600 * 1000;  // an hour
constexpr uint64_t attempt_limit = 1000000;

}  // namespace

result<restart_policy> restart_policy::parse(const std::string& spec, bool checkpointing) {
  restart_policy p;
  if (spec.empty()) {
    if (!checkpointing) return p;
    p.kind_ = kind::fixed_delay;
    p.delay_ms_ = 500;
    p.attempts_ = 10;
    return p;
  }
  auto parts = split(spec, ':');
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("restart strategy '" + spec + "': " + why +
                                    " (expected none, fixed-delay:DELAY_MS:ATTEMPTS or "
                                    "exponential:INITIAL_MS:MAX_MS:ATTEMPTS)");
  };
  if (parts[0] == "none") {
    if (parts.size() != 1) return bad("'none' takes no values");
    return p;
  }
  if (parts[0] == "fixed-delay") {
    if (parts.size() != 3) return bad("fixed-delay takes a delay and a number of attempts");
    auto d = number(parts[1], 0, max_delay);
    auto a = number(parts[2], 1, attempt_limit);
    if (!d) return bad("the delay must be 0 to " + std::to_string(max_delay) + " ms");
    if (!a) return bad("attempts must be 1 to " + std::to_string(attempt_limit));
    p.kind_ = kind::fixed_delay;
    p.delay_ms_ = *d;
    p.attempts_ = *a;
    return p;
  }
  if (parts[0] == "exponential") {
    if (parts.size() != 4)
      return bad("exponential takes an initial delay, a maximum delay and a number of attempts");
    auto d = number(parts[1], 1, max_delay);
    auto m = number(parts[2], 1, max_delay);
    auto a = number(parts[3], 1, attempt_limit);
    if (!d || !m) return bad("delays must be 1 to " + std::to_string(max_delay) + " ms");
    if (*m < *d) return bad("the maximum delay is below the initial delay");
    if (!a) return bad("attempts must be 1 to " + std::to_string(attempt_limit));
    p.kind_ = kind::exponential;
    p.delay_ms_ = *d;
    p.max_delay_ms_ = *m;
    p.attempts_ = *a;
    return p;
  }
  return bad("unknown strategy '" + parts[0] + "'");
}

std::optional<std::chrono::milliseconds> restart_policy::delay(uint32_t attempt) const {
  if (kind_ == kind::none || attempt == 0 || attempt > attempts_) return std::nullopt;
  if (kind_ == kind::fixed_delay) return std::chrono::milliseconds(delay_ms_);
  uint64_t d = delay_ms_;
  for (uint32_t i = 1; i < attempt && d < max_delay_ms_; ++i) d *= 2;
  return std::chrono::milliseconds(std::min<uint64_t>(d, max_delay_ms_));
}

std::string restart_policy::describe() const {
  switch (kind_) {
    case kind::none:
      return "none";
    case kind::fixed_delay:
      return "fixed-delay:" + std::to_string(delay_ms_) + ":" + std::to_string(attempts_);
    case kind::exponential:
      return "exponential:" + std::to_string(delay_ms_) + ":" + std::to_string(max_delay_ms_) +
             ":" + std::to_string(attempts_);
  }
  return "none";
}

}  // namespace nagare
