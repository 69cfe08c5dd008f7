// Aligned text tables for `nagare list` and the admin shell, and the
// formats of their cells: durations, sizes, times of day.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace nagare::cli {

class table {
 public:
  explicit table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Right-aligns every cell of `column` below the header (numbers with units).
  table& align_right(size_t column) {
    right_.insert(column);
    return *this;
  }
  // Columns padded to their widest cell, two spaces apart; numbers right-aligned.
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
  std::set<size_t> right_;
};

// "1h02m", "3m05s", "12.3s"
std::string format_duration(double seconds);

// Milliseconds: "0.4 ms" (one decimal below 10 ms), "153 ms", "60000 ms".
std::string format_ms(double ms);

// Events per second: "950/s", "12.3 K/s", "1.21 M/s", "2.05 G/s".
std::string format_rate(double per_s);

// Bytes in binary units, one decimal from KiB on: "512 B", "1.5 KiB", "3.0 MiB", "2.2 GiB".
std::string format_bytes(uint64_t bytes);

// Seconds since the epoch as local time: "2026-11-25 00:33:27" (with_date) or "00:33:27".
std::string format_local_time(double unix_s, bool with_date);

}  // namespace nagare::cli
