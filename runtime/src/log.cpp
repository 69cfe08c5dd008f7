#include "log.hpp"

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace nagare::log {

namespace {
std::atomic<int> min_level{static_cast<int>(level::warning)};
std::mutex out_mutex;
const char* names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
}  // namespace

void set_level(level l) { min_level = static_cast<int>(l); }
bool enabled(level l) { return static_cast<int>(l) >= min_level.load(std::memory_order_relaxed); }

void write(level l, const std::string& component, const std::string& message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  std::lock_guard<std::mutex> lock(out_mutex);
  std::fprintf(stderr, "%s.%03d %-5s %s: %s\n", stamp, static_cast<int>(ms),
               names[static_cast<int>(l)], component.c_str(), message.c_str());
}

bool parse_level(const std::string& text, level& out) {
  for (int i = 0; i < 4; ++i) {
    std::string n = names[i];
    for (auto& c : n) c = static_cast<char>(std::tolower(c));
    if (text == n || (i == 2 && text == "warning")) {
      out = static_cast<level>(i);
      return true;
    }
  }
  return false;
}

}  // namespace nagare::log
