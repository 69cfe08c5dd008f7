// A small process-wide logger: one timestamped line per call on stderr.
// (Debian's CAF is built with logging compiled out.) Thread-safe.
#pragma once

#include <sstream>
#include <string>

namespace nagare::log {

enum class level { debug = 0, info = 1, warning = 2, error = 3 };

void set_level(level l);
bool enabled(level l);
void write(level l, const std::string& component, const std::string& message);
// Parses "debug", "info", "warning" or "error".
bool parse_level(const std::string& text, level& out);

}  // namespace nagare::log

// NAGARE_LOG(info, "node") << "registered with " << slots << " slots";
#define NAGARE_LOG(LEVEL, COMPONENT)                                               \
  for (bool nagare_log_once = ::nagare::log::enabled(::nagare::log::level::LEVEL); \
       nagare_log_once; nagare_log_once = false)                                   \
  ::nagare::log::line(::nagare::log::level::LEVEL, COMPONENT).stream()

namespace nagare::log {
class line {
 public:
  line(level l, std::string component) : level_(l), component_(std::move(component)) {}
  ~line() { write(level_, component_, os_.str()); }
  std::ostringstream& stream() { return os_; }

 private:
  level level_;
  std::string component_;
  std::ostringstream os_;
};
}  // namespace nagare::log
