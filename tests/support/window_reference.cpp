#include "window_reference.hpp"
#include "decimal.hpp"
#include "text_lines.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace nagare::testing {

namespace {

__extension__ typedef __int128 wide;  // exact window bounds near the 64-bit limits

int64_t saturating_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
  return a + b;
}

int64_t floor_mod(int64_t a, int64_t m) {
  int64_t r = a % m;
  return r < 0 ? r + m : r;
}

struct parsed_file {
  std::vector<window_record> records;
  std::vector<size_t> line_of;  // line index of each record
  uint64_t malformed = 0;
};

parsed_file parse_file(const std::string& text) {
  parsed_file f;
  auto lines = lines_of(text);
  for (size_t l = 0; l < lines.size(); ++l) {
    window_record r;
    if (parse_window_record(lines[l], r)) {
      f.records.push_back(std::move(r));
      f.line_of.push_back(l);
    } else {
      ++f.malformed;
    }
  }
  return f;
}

// The watermark from the records [0, n) of a file: max timestamp - bound - 1.
class watermark_track {
 public:
  explicit watermark_track(const parsed_file& f) {
    prefix_max_.reserve(f.records.size());
    int64_t m = INT64_MIN;
    for (const auto& r : f.records) prefix_max_.push_back(m = std::max(m, r.ts));
  }
  int64_t after(size_t n, int64_t bound) const {
    if (n == 0) return INT64_MIN;
    return saturating_add(saturating_add(prefix_max_[n - 1], -bound), -1);
  }

 private:
  std::vector<int64_t> prefix_max_;
};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

std::string window_spec::text() const {
  switch (type) {
    case kind::tumbling:
      return "tumbling:" + std::to_string(size);
    case kind::sliding:
      return "sliding:" + std::to_string(size) + ":" + std::to_string(slide);
    case kind::session:
      return "session:" + std::to_string(gap);
    case kind::count:
      return "count:" + std::to_string(count);
  }
  return {};
}

bool parse_window_record(const std::string& line, window_record& out) {
  auto first = line.find(',');
  if (first == std::string::npos) return false;
  auto second = line.find(',', first + 1);
  if (second == std::string::npos || second == first + 1) return false;
  if (line.find(',', second + 1) != std::string::npos) return false;
  window_record r;
  if (!parse_int64(line.substr(0, first), r.ts)) return false;
  if (!parse_int64(line.substr(second + 1), r.value)) return false;
  r.key = line.substr(first + 1, second - first - 1);
  r.line = line;
  out = std::move(r);
  return true;
}

window_simulation::window_simulation(window_spec spec, int64_t lateness)
    : spec_(spec), lateness_(lateness) {
  bool ok = true;
  switch (spec.type) {
    case window_spec::kind::tumbling:
      ok = spec.size > 0;
      break;
    case window_spec::kind::sliding:
      ok = spec.size > 0 && spec.slide > 0;
      break;
    case window_spec::kind::session:
      ok = spec.gap > 0;
      break;
    case window_spec::kind::count:
      ok = spec.count > 0;
      break;
  }
  if (!ok || lateness < 0) throw std::invalid_argument("window_simulation: bad window spec");
}

void window_simulation::emit(const std::string& key, const accumulator& a) {
  results_.push_back(key + "," + std::to_string(a.start) + "," + std::to_string(a.end) + "," +
                     std::to_string(a.count) + "," + std::to_string(static_cast<int64_t>(a.sum)));
}

void window_simulation::advance(int64_t w) {
  if (w <= watermark_) return;
  watermark_ = w;
  // Fire first: with no lateness a window fires and is purged at once.
  while (!fire_at_.empty() && std::get<0>(*fire_at_.begin()) <= w) {
    auto [max, key, start] = *fire_at_.begin();
    fire_at_.erase(fire_at_.begin());
    auto k = windows_.find(key);
    if (k == windows_.end()) continue;
    auto i = k->second.find(start);
    if (i == k->second.end() || max_of(i->second) != max || i->second.fired) continue;
    i->second.fired = true;
    emit(key, i->second);
  }
  while (!purge_at_.empty() && std::get<0>(*purge_at_.begin()) <= w) {
    auto [at, key, start] = *purge_at_.begin();
    purge_at_.erase(purge_at_.begin());
    auto k = windows_.find(key);
    if (k == windows_.end()) continue;
    auto i = k->second.find(start);
    if (i == k->second.end() || saturating_add(max_of(i->second), lateness_) != at) continue;
    k->second.erase(i);
    if (k->second.empty()) windows_.erase(k);
  }
}

std::string window_simulation::step(const window_record& r, bool apply) {
  switch (spec_.type) {
    case window_spec::kind::tumbling:
    case window_spec::kind::sliding:
      return step_time(r, apply);
    case window_spec::kind::session:
      return step_session(r, apply);
    case window_spec::kind::count:
      return step_count(r, apply);
  }
  return {};
}

std::string window_simulation::step_time(const window_record& r, bool apply) {
  // The starts of the windows holding r.ts, latest first, in 128 bits: a
  // record with a window beyond the 64-bit range goes to the late output.
  const wide slide = spec_.type == window_spec::kind::tumbling ? spec_.size : spec_.slide;
  std::vector<int64_t> starts;
  for (wide s = wide{r.ts} - floor_mod(r.ts, static_cast<int64_t>(slide));
       s > wide{r.ts} - spec_.size; s -= slide) {
    if (s < INT64_MIN || s + spec_.size > INT64_MAX) {
      if (apply) late_.push_back(r.line);
      return "beyond the 64-bit range";
    }
    starts.push_back(static_cast<int64_t>(s));
  }
  std::string what;
  bool added = false;
  for (int64_t start : starts) {
    const int64_t end = saturating_add(start, spec_.size);
    const int64_t max = end - 1;
    const bool dropped = saturating_add(max, lateness_) <= watermark_;
    const bool fired = !dropped && max <= watermark_;
    what += std::to_string(start) + (dropped ? ":dropped " : fired ? ":refires " : ":pending ");
    if (dropped || !apply) continue;
    added = true;
    auto& a = windows_[r.key][start];
    if (a.count == 0) {
      a.start = start;
      a.end = end;
      purge_at_.insert({saturating_add(max, lateness_), r.key, start});
      if (!fired) fire_at_.insert({max, r.key, start});
    }
    ++a.count;
    a.sum += static_cast<uint64_t>(r.value);
    if (fired) {
      a.fired = true;
      ++refired_;
      emit(r.key, a);
    }
  }
  if (apply && !added) late_.push_back(r.line);
  return what;
}

std::string window_simulation::step_session(const window_record& r, bool apply) {
  if (wide{r.ts} + spec_.gap > INT64_MAX) {
    if (apply) late_.push_back(r.line);
    return "beyond the 64-bit range";
  }
  const int64_t end = r.ts + spec_.gap;
  const bool own_late = saturating_add(end - 1, lateness_) <= watermark_;
  // The live sessions of the key that r's window [ts, ts + gap) overlaps or touches.
  std::vector<int64_t> touching;
  auto k = windows_.find(r.key);
  if (k != windows_.end())
    for (const auto& [start, s] : k->second)
      if (s.start <= end && r.ts <= s.end) touching.push_back(start);
  if (own_late) {
    if (!touching.empty()) return "ambiguous";
    if (apply) late_.push_back(r.line);
    return "late";
  }
  accumulator merged;
  merged.start = r.ts;
  merged.end = end;
  merged.count = 1;
  merged.sum = static_cast<uint64_t>(r.value);
  std::string what = "merges";
  for (int64_t start : touching) {
    const auto& s = k->second.at(start);
    what += " " + std::to_string(s.start) + ":" + std::to_string(s.end) + (s.fired ? ":fired" : "");
    merged.start = std::min(merged.start, s.start);
    merged.end = std::max(merged.end, s.end);
    merged.count += s.count;
    merged.sum += s.sum;
  }
  const bool fires_now = max_of(merged) <= watermark_;
  what += fires_now ? " fires" : " pending";
  if (!apply) return what;
  auto& sessions = windows_[r.key];
  for (int64_t start : touching) sessions.erase(start);
  merged.fired = fires_now;
  sessions[merged.start] = merged;
  purge_at_.insert({saturating_add(max_of(merged), lateness_), r.key, merged.start});
  if (fires_now) {
    ++refired_;
    emit(r.key, merged);
  } else {
    fire_at_.insert({max_of(merged), r.key, merged.start});
  }
  return what;
}

std::string window_simulation::step_count(const window_record& r, bool apply) {
  if (!apply) return "counted";
  auto& pending = counting_[r.key];
  pending.push_back(r);
  if (static_cast<int64_t>(pending.size()) == spec_.count) {
    accumulator a;
    a.start = INT64_MAX;
    a.end = INT64_MIN;
    for (const auto& p : pending) {
      a.start = std::min(a.start, p.ts);
      a.end = std::max(a.end, p.ts);
      ++a.count;
      a.sum += static_cast<uint64_t>(p.value);
    }
    emit(r.key, a);
    pending.clear();
  }
  return "counted";
}

window_expectation expected_windows(const std::vector<std::string>& texts, const window_spec& spec,
                                    int64_t bound, int64_t lateness) {
  window_expectation e;
  std::vector<parsed_file> files;
  for (const auto& t : texts) files.push_back(parse_file(t));
  for (const auto& f : files) {
    e.records += f.records.size();
    e.malformed += f.malformed;
    int64_t max = INT64_MIN;
    for (const auto& r : f.records) {
      if (max != INT64_MIN && r.ts < saturating_add(max, -bound)) ++e.beyond_bound;
      max = std::max(max, r.ts);
    }
  }

  if (files.size() == 1) {
    const auto& f = files[0];
    watermark_track wm(f);
    window_simulation latest(spec, lateness), lagging(spec, lateness);
    size_t lag_n = 0;  // records certainly behind a watermark that reached the operator
    for (size_t i = 0; i < f.records.size(); ++i) {
      while (lag_n + watermark_lag <= i && f.line_of[lag_n] + watermark_lag <= f.line_of[i])
        ++lag_n;
      latest.advance(wm.after(i, bound));
      lagging.advance(wm.after(lag_n, bound));
      const auto& r = f.records[i];
      auto a = latest.add(r);
      auto b = lagging.add(r);
      if (a == "ambiguous" || a != b) {
        e.invalid = "line " + std::to_string(f.line_of[i] + 1) + " '" + r.line +
                    "': with the latest watermark " + std::to_string(latest.watermark()) + " it " +
                    a + ", with a lagging watermark " + std::to_string(lagging.watermark()) +
                    " it " + b;
        return e;
      }
    }
    latest.finish();
    e.results = sorted(latest.results());
    e.late = sorted(latest.late());
    e.refired = latest.refired();
    return e;
  }

  // Several files: only inputs whose outcome does not depend on the interleaving.
  if (e.beyond_bound > 0) {
    e.invalid = std::to_string(e.beyond_bound) +
                " records beyond the out-of-orderness bound in an input of several files";
    return e;
  }
  if (spec.type == window_spec::kind::count) {
    std::map<std::string, size_t> file_of;
    for (size_t i = 0; i < files.size(); ++i)
      for (const auto& r : files[i].records)
        if (!file_of.emplace(r.key, i).second && file_of[r.key] != i) {
          e.invalid = "key '" + r.key + "' in several files of a count window input";
          return e;
        }
  }
  if (spec.type == window_spec::kind::session) {
    std::map<std::string, std::set<int64_t>> times;
    for (const auto& f : files)
      for (const auto& r : f.records) times[r.key].insert(r.ts);
    for (const auto& [key, ts] : times)
      for (int64_t t : ts)
        if (ts.count(saturating_add(t, spec.gap))) {
          e.invalid = "key '" + key + "' has records exactly the session gap apart (" +
                      std::to_string(t) + ")";
          return e;
        }
  }
  // No record is behind its file's watermark, so none is behind the task's:
  // every window collects all its records and fires once, at the latest at
  // the end. A watermark that never moves before the end gives exactly that.
  window_simulation all(spec, lateness);
  for (const auto& f : files)
    for (const auto& r : f.records) all.add(r);
  all.finish();
  e.results = sorted(all.results());
  e.late = sorted(all.late());
  return e;
}

namespace {

// The lines of the result files directly in `dir` (none if it does not exist).
std::vector<std::string> result_lines_in(const std::string& dir) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name[0] == '.' || name[0] == '_' || !e.is_regular_file()) continue;
    std::ifstream f(e.path());
    for (std::string line; std::getline(f, line);) lines.push_back(line);
  }
  return lines;
}

}  // namespace

window_output read_window_output(const std::string& dir) {
  return {result_lines_in(dir), result_lines_in(dir + "/late")};
}

}  // namespace nagare::testing
