#include "nagare/job_args.hpp"

#include <cerrno>
#include <cstdlib>

namespace nagare {

namespace {
bool is_option(const std::string& s) { return s.size() > 2 && s[0] == '-' && s[1] == '-'; }
}  // namespace

bool job_args::has(std::string_view option) const {
  for (const auto& a : argv_)
    if (a == option) return true;
  return false;
}

std::vector<std::string> job_args::values(std::string_view option) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv_.size(); ++i) {
    if (argv_[i] != option) continue;
    for (size_t j = i + 1; j < argv_.size() && !is_option(argv_[j]); ++j) out.push_back(argv_[j]);
  }
  return out;
}

result<std::string> job_args::required(std::string_view option) const {
  auto v = values(option);
  if (v.empty()) return status::invalid_argument("missing " + std::string(option) + " VALUE");
  if (v.size() > 1)
    return status::invalid_argument(std::string(option) + " takes one value, got " +
                                    std::to_string(v.size()));
  return v.front();
}

result<int64_t> job_args::integer(std::string_view option, int64_t fallback) const {
  auto v = values(option);
  if (v.empty() && !has(option)) return fallback;
  if (v.size() != 1)
    return status::invalid_argument(std::string(option) + " takes one integer value");
  // An optional sign and decimal digits, nothing else: strtoll alone would
  // skip leading white space and stop at a NUL inside the value.
  const auto& text = v.front();
  const size_t digits_at = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(text.c_str(), &end, 10);
  if (text.size() == digits_at || text[digits_at] < '0' || text[digits_at] > '9' || errno != 0 ||
      end != text.c_str() + text.size())
    return status::invalid_argument(std::string(option) + ": '" + text + "' is not an integer");
  return static_cast<int64_t>(x);
}

result<int64_t> job_args::integer(std::string_view option, int64_t fallback,
                                  int64_t at_least) const {
  auto v = integer(option, fallback);
  if (v.ok() && *v < at_least)
    return status::invalid_argument(std::string(option) + " must be >= " +
                                    std::to_string(at_least) + ", got " + std::to_string(*v));
  return v;
}

status job_args::only(std::initializer_list<std::string_view> known) const {
  bool after_option = false;
  for (const auto& a : argv_) {
    if (!is_option(a)) {
      if (!after_option) return status::invalid_argument("unexpected argument '" + a + "'");
      continue;
    }
    bool ok = false;
    for (auto k : known) ok = ok || a == k;
    if (!ok) return status::invalid_argument("unknown option '" + a + "'");
    after_option = true;
  }
  return {};
}

}  // namespace nagare
