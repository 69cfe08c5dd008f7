#include "table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>

namespace nagare::cli {

namespace {
bool numeric(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789.,-") == std::string::npos;
}
}  // namespace

std::string table::render() const {
  std::vector<size_t> width;
  for (const auto& row : rows_) {
    if (width.size() < row.size()) width.resize(row.size());
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (size_t r = 0; r < rows_.size(); ++r) {
    std::string line;
    for (size_t c = 0; c < rows_[r].size(); ++c) {
      const auto& cell = rows_[r][c];
      auto pad = std::string(width[c] - cell.size(), ' ');
      bool last = c + 1 == rows_[r].size();
      if (r > 0 && (numeric(cell) || right_.count(c)))
        line += pad + cell;
      else
        line += cell + (last ? "" : pad);
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

std::string format_duration(double seconds) {
  char buf[32];
  auto s = static_cast<long>(seconds + 0.5);  // whole seconds, rounded
  if (seconds < 59.95)                        // below what "%.1f" rounds up to 60.0
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  return buf;
}

std::string format_ms(double ms) {
  char buf[32];
  if (!(ms >= 0)) ms = 0;  // NaN or negative: nothing measured
  if (ms < 9.95)           // below what "%.1f" rounds up to 10.0
    std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  else
    std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  return buf;
}

std::string format_rate(double v) {
  char buf[32];
  if (!(v >= 0)) v = 0;
  if (v >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2f G/s", v / 1e9);
  else if (v >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f M/s", v / 1e6);
  else if (v >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1f K/s", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f/s", v);
  return buf;
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static const char* const units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  // Move up while "%.1f" would print 1024.0 or more in this unit.
  while (value >= 1023.95 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  return buf;
}

std::string format_local_time(double unix_s, bool with_date) {
  auto t = static_cast<std::time_t>(std::floor(unix_s));
  std::tm local{};
  if (!localtime_r(&t, &local)) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &local);
  return buf;
}

}  // namespace nagare::cli
