// Aligned text tables for `nagare list` and the admin shell.
#pragma once

#include <string>
#include <vector>

namespace nagare::cli {

class table {
 public:
  explicit table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Columns padded to their widest cell, two spaces apart; numbers right-aligned.
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "1h02m", "3m05s", "12.3s"
std::string format_duration(double seconds);

}  // namespace nagare::cli
