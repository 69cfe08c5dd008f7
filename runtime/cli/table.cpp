#include "table.hpp"

#include <algorithm>
#include <cstdio>

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
      if (r > 0 && numeric(cell))
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

}  // namespace nagare::cli
