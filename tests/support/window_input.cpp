#include "window_input.hpp"

#include <random>
#include <vector>

namespace nagare::testing {

namespace {

int64_t floor_to(int64_t v, int64_t m) {
  int64_t r = v % m;
  return r < 0 ? v - r - m : v - r;
}

}  // namespace

std::string generate_window_input(const window_input_options& o) {
  std::mt19937_64 rng(o.seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto upto = [&](int64_t n) { return n <= 0 ? 0 : static_cast<int64_t>(rng() % (n + 1)); };
  const int64_t m = o.timestamp_multiple > 0 ? o.timestamp_multiple : 1;

  std::vector<std::string> keys;
  for (uint32_t k = 0; k < o.keys; ++k) keys.push_back(o.key_prefix + std::to_string(k));
  for (const char* odd : {" with spaces", "a:b=c;d", "-7"}) keys.push_back(o.key_prefix + odd);
  const std::vector<std::string> malformed = {
      "",
      "no comma here",
      "1700000000000," + o.key_prefix + "x",
      "1700000000000,,5",
      "x," + o.key_prefix + "x,5",
      "1700000000000," + o.key_prefix + "x,",
      "1700000000000," + o.key_prefix + "x,abc",
      "1700000000000," + o.key_prefix + "x,1.5",
      "1700000000000," + o.key_prefix + "x, 5",
      "+1700000000000," + o.key_prefix + "x,5",
      "1700000000000," + o.key_prefix + "x,5,6",
      "9223372036854775808," + o.key_prefix + "x,1",
      "1700000000000," + o.key_prefix + "x,-92233720368547758090",
      " 1700000000000," + o.key_prefix + "x,1",
      "-," + o.key_prefix + "x,1"};

  // The two simulations of expected_windows(), fed as the file is written.
  window_simulation latest(o.spec, o.lateness), lagging(o.spec, o.lateness);
  std::vector<int64_t> prefix_max;  // max timestamp of the records [0, i]
  std::vector<size_t> line_of;
  size_t lag_n = 0;
  auto watermark_after = [&](size_t n) {
    if (n == 0) return INT64_MIN;
    return prefix_max[n - 1] - o.bound - 1;
  };

  std::string text;
  int64_t max = INT64_MIN;
  for (size_t l = 0; l < o.lines; ++l) {
    if (chance(o.malformed)) {
      text += malformed[rng() % malformed.size()];
    } else {
      const size_t i = prefix_max.size();
      while (lag_n + watermark_lag <= i && line_of[lag_n] + watermark_lag <= l) ++lag_n;
      latest.advance(watermark_after(i));
      lagging.advance(watermark_after(lag_n));

      window_record r;
      r.key = keys[rng() % keys.size()];
      auto kind = rng() % 100;
      r.value = kind == 0   ? INT64_MAX
                : kind == 1 ? INT64_MIN
                            : static_cast<int64_t>(rng() % 2001) - 1000;
      bool accepted = false;
      for (int attempt = 0; attempt < 50 && !accepted; ++attempt) {
        if (max == INT64_MIN) {
          r.ts = floor_to(o.start, m);
        } else if (chance(o.beyond)) {
          r.ts = floor_to(max - o.bound - 1 - upto(o.beyond_range), m);
        } else if (chance(o.behind / (1 - o.beyond))) {
          r.ts = max - m * upto(o.bound / m);
        } else {
          r.ts = max + m * upto(2 * o.mean_step / m);
        }
        auto a = latest.probe(r);
        accepted = a != "ambiguous" && a == lagging.probe(r);
      }
      // Ahead of the max by a step: after every watermark of both, never fired.
      if (!accepted) r.ts = max + m;
      std::string ts = std::to_string(r.ts);
      if (r.ts >= 0 && rng() % 50 == 0) ts = "00" + ts;  // late lines must stay unchanged
      std::string value = std::to_string(r.value);
      if (kind == 2) value = r.value < 0 ? "-000" + value.substr(1) : "000" + value;
      r.line = ts + "," + r.key + "," + value;
      text += r.line;

      latest.add(r);
      lagging.add(r);
      max = std::max(max, r.ts);
      prefix_max.push_back(max);
      line_of.push_back(l);
    }
    if (l + 1 < o.lines || o.final_newline) text += rng() % 8 == 0 ? "\r\n" : "\n";
  }
  return text;
}

}  // namespace nagare::testing
