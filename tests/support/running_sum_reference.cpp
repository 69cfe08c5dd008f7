#include "running_sum_reference.hpp"
#include "decimal.hpp"
#include "text_lines.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <random>

namespace nagare::testing {

std::string generate_running_sum_input(uint64_t seed, uint32_t file, size_t lines) {
  std::mt19937_64 rng(seed * 1000003 + file);
  const std::string prefix = "f" + std::to_string(file) + "-";
  const std::vector<std::string> odd_keys = {prefix + "key with spaces", prefix + "a:b=c;d",
                                             prefix + "-7", prefix + "x"};
  const std::vector<std::string> malformed = {"",
                                              "no comma here",
                                              ",5",
                                              prefix + "k1,",
                                              prefix + "k1,abc",
                                              prefix + "k1,1.5",
                                              prefix + "k1, 5",
                                              prefix + "k1,+5",
                                              prefix + "k1,5,6",
                                              prefix + "k1,-",
                                              prefix + "k1,9223372036854775808",
                                              prefix + "k1,-9223372036854775809",
                                              prefix + "k1,99999999999999999999",
                                              std::string("k\0nul,5", 7),
                                              "k\x80y,5",
                                              "caf\xc3\xa9,3",
                                              "tab\tkey,1"};
  std::string text;
  for (size_t l = 0; l < lines; ++l) {
    auto kind = rng() % 40;
    if (kind < 4) {
      text += malformed[rng() % malformed.size()];
    } else {
      text +=
          kind < 7 ? odd_keys[rng() % odd_keys.size()] : prefix + "k" + std::to_string(rng() % 50);
      text += ',';
      switch (kind) {
        case 7:
          text += "9223372036854775807";
          break;
        case 8:
          text += "-9223372036854775808";
          break;
        case 9:
          text += "-000" + std::to_string(rng() % 100);
          break;
        default:
          text += std::to_string(static_cast<int64_t>(rng() % 2001) - 1000);
      }
    }
    if (l + 1 < lines || file % 2 == 0) text += rng() % 6 == 0 ? "\r\n" : "\n";
  }
  return text;
}

std::vector<std::string> expected_running_sums(const std::vector<std::string>& texts,
                                               uint64_t* malformed) {
  std::vector<std::string> out;
  std::map<std::string, uint64_t> sums;  // unsigned: wraps like the job's
  for (const auto& text : texts) {
    for_each_line(text, [&](size_t, const std::string& line) {
      size_t comma = line.find(',');
      int64_t value = 0;
      if (comma == std::string::npos || comma == 0 || !printable_ascii(line.substr(0, comma)) ||
          !parse_int64(line.substr(comma + 1), value)) {
        if (malformed) ++*malformed;
        return;
      }
      auto key = line.substr(0, comma);
      auto& sum = sums[key];
      sum += static_cast<uint64_t>(value);
      out.push_back(key + "," + std::to_string(static_cast<int64_t>(sum)));
    });
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string multiset_difference(std::vector<std::string> expected, std::vector<std::string> got,
                                size_t limit) {
  std::sort(expected.begin(), expected.end());
  std::sort(got.begin(), got.end());
  if (expected == got) return {};
  std::vector<std::string> missing, unexpected;
  std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(),
                      std::back_inserter(unexpected));
  std::string report = "expected " + std::to_string(expected.size()) + " lines, got " +
                       std::to_string(got.size()) + "; " + std::to_string(missing.size()) +
                       " missing, " + std::to_string(unexpected.size()) + " unexpected";
  auto list = [&](const char* title, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    report += std::string("\n") + title + ":";
    for (size_t i = 0; i < lines.size() && i < limit; ++i) report += "\n  '" + lines[i] + "'";
    if (lines.size() > limit) report += "\n  ...";
  };
  list("missing (expected, not written or written too few times)", missing);
  list("unexpected (written, not expected or written too many times)", unexpected);
  return report;
}

}  // namespace nagare::testing
