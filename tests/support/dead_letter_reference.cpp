#include "dead_letter_reference.hpp"
#include "decimal.hpp"
#include "text_lines.hpp"

namespace nagare::testing {

namespace {

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',')
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

}  // namespace

std::string running_sum_rejection(const std::string& line) {
  auto comma = line.find(',');
  if (comma == std::string::npos) return "no comma";
  if (comma == 0) return "empty key";
  if (!printable_ascii(line.substr(0, comma))) return "key is not printable ASCII";
  if (!is_int64(line.substr(comma + 1))) return "value is not a 64-bit integer";
  return "";
}

std::string window_count_rejection(const std::string& line) {
  auto f = fields_of(line);
  if (f.size() != 3) return "not three comma-separated fields";
  if (f[1].empty()) return "empty key";
  if (!is_int64(f[0])) return "timestamp is not a 64-bit integer";
  if (!is_int64(f[2])) return "value is not a 64-bit integer";
  return "";
}

std::vector<std::string> expected_dead_letters(const std::vector<std::string>& paths,
                                               const std::vector<std::string>& texts,
                                               const rejection_fn& reject) {
  std::vector<std::string> out;
  for (size_t i = 0; i < texts.size(); ++i) {
    for_each_line(texts[i], [&](size_t offset, const std::string& line) {
      auto why = reject(line);
      if (!why.empty())
        out.push_back(std::to_string(i) + " " + paths[i] + "\t" + std::to_string(offset) + "\t" +
                      why + "\t" + line);
    });
  }
  return out;
}

std::vector<uint64_t> dead_letters_per_subtask(const std::vector<std::string>& texts,
                                               const rejection_fn& reject, uint32_t parallelism) {
  std::vector<uint64_t> counts(parallelism);
  for (size_t i = 0; i < texts.size(); ++i)
    for_each_line(texts[i], [&](size_t, const std::string& line) {
      if (!reject(line).empty()) ++counts[i % parallelism];
    });
  return counts;
}

std::string dead_letter_count_difference(const std::string& err, const std::string& source,
                                         const std::vector<uint64_t>& counts) {
  std::string report;
  const auto p = std::to_string(counts.size());
  for (size_t s = 0; s < counts.size(); ++s) {
    auto prefix = source + " (" + std::to_string(s + 1) + "/" + p + "): ";
    if (counts[s] > 0) {
      auto phrase =
          prefix + std::to_string(counts[s]) + " dead letter" + (counts[s] == 1 ? "" : "s") + " (";
      if (err.find(phrase) == std::string::npos) report += "\nmissing '" + phrase + "'";
    } else {
      for (auto at = err.find(prefix); at != std::string::npos; at = err.find(prefix, at + 1)) {
        auto line = err.substr(at, err.find('\n', at) - at);
        if (line.find("dead letter") != std::string::npos) report += "\nunexpected '" + line + "'";
      }
    }
  }
  if (!report.empty()) report += "\nin:\n" + err;
  return report;
}

}  // namespace nagare::testing
