#include "nagare/detail/split_watermarks.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace nagare::detail {

struct split_watermarks::table {
  std::map<std::string, split> splits;  // node-based: references stay valid
  std::map<std::string, int64_t> restored;
};

split_watermarks::split_watermarks() : table_(make_owned<table>()) {}
split_watermarks::~split_watermarks() = default;

void split_watermarks::reset(const std::vector<std::string>& ids,
                             const std::vector<std::pair<std::string, int64_t>>& restored) {
  table_->splits.clear();
  table_->restored.clear();
  for (const auto& [id, max] : restored) {
    auto [it, added] = table_->restored.emplace(id, max);
    if (!added) it->second = std::min(it->second, max);
  }
  watermark_ = min_timestamp;
  idle_ = false;
  mark_ = 0;
  current_ = &scratch_;
  assigned_ = false;
  no_more_ = false;
  if (ids.empty()) {
    current_ = &find(std::string{});
  } else {
    for (const auto& id : ids) find(id);
  }
}

void split_watermarks::add(const std::vector<std::string>& ids) {
  auto& splits = table_->splits;
  if (!assigned_) {
    assigned_ = true;
    auto it = splits.find(std::string{});
    if (it != splits.end() && it->second.max == min_timestamp) {
      if (current_ == &it->second) current_ = &scratch_;
      splits.erase(it);
    }
  }
  for (const auto& id : ids) find(id);
}

void split_watermarks::select(const std::string& id, uint64_t emitted) {
  attribute(emitted);
  current_ = &find(id);
  current_->finished = false;
}

void split_watermarks::finish(const std::string& id, uint64_t emitted) {
  attribute(emitted);
  find(id).finished = true;
}

bool split_watermarks::update(uint64_t emitted, int64_t now) {
  attribute(emitted);
  int64_t wm = max_timestamp;
  bool active = false, open = false;
  for (auto& [id, s] : table_->splits) {
    (void)id;
    if (s.finished) continue;
    open = true;
    if (s.had_records || !s.seen_clock) {
      s.last_record = now;
      s.seen_clock = true;
      s.idle = false;
    } else if (idleness_ > 0 && now - s.last_record >= idleness_) {
      s.idle = true;
    }
    s.had_records = false;
    if (s.idle) continue;
    active = true;
    wm = std::min(wm, split_watermark(s.max));
  }
  bool was_idle = idle_;
  int64_t was = watermark_;
  // Every split idle: the subtask is. Every split finished: the end of the
  // input is near, the watermark stays.
  idle_ = !active && (open || (assigned_ && !no_more_));
  if (active && wm > watermark_) watermark_ = wm;
  return idle_ != was_idle || watermark_ != was;
}

void split_watermarks::state(std::vector<std::pair<std::string, int64_t>>& out) const {
  for (const auto& [id, s] : table_->splits)
    if (s.max != min_timestamp) out.emplace_back(id, s.max);
}

split_watermarks::split& split_watermarks::find(const std::string& id) {
  auto& splits = table_->splits;
  auto it = splits.find(id);
  if (it != splits.end()) return it->second;
  split s;
  auto r = table_->restored.find(id);
  if (r != table_->restored.end()) s.max = r->second;
  return splits.emplace(id, s).first->second;
}

}  // namespace nagare::detail
