// The watermark generator of one source subtask: the largest timestamp seen
// per split, which splits are finished or idle, and the subtask's watermark
// (the semantics are in nagare/watermark.hpp).
//
// The source's collector updates the current split's largest timestamp per
// record through current_max() (one comparison); everything else happens
// once per split change or per poll. Which split had records in a poll is
// told by the collector's record count at each split change, so no per-record
// bookkeeping is needed for idleness.
//
// Not thread-safe: owned by one source operator in one task.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "nagare/time.hpp"

namespace nagare::detail {

class split_watermarks {
 public:
  split_watermarks() = default;
  split_watermarks(const split_watermarks&) = delete;  // refers to itself
  split_watermarks& operator=(const split_watermarks&) = delete;

  // B >= 0; idleness <= 0: splits never go idle.
  void configure(int64_t out_of_orderness, int64_t idleness) {
    bound_ = out_of_orderness < 0 ? 0 : out_of_orderness;
    idleness_ = idleness;
  }

  // Forgets every split and declares the reader's splits `ids` (known up
  // front, so that a split not read yet holds the watermark back), each with
  // its largest timestamp from `restored` (split id -> timestamp; absent:
  // none seen). No ids: the reader is one split, named "". The subtask's
  // watermark starts at min_timestamp.
  void reset(const std::vector<std::string>& ids, std::map<std::string, int64_t> restored) {
    splits_.clear();
    restored_ = std::move(restored);
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

  // Splits assigned at run time (the split contract, nagare/split.hpp): the
  // first call forgets the implicit split "" unless it has seen a record;
  // each of `ids` then holds the watermark back until it has records (or is
  // finished or idle). Until no_more_splits(), a subtask whose splits are
  // all finished (or that has none) is idle: it holds no watermark back
  // while it waits for more.
  void add(const std::vector<std::string>& ids) {
    if (!assigned_) {
      assigned_ = true;
      auto it = splits_.find(std::string{});
      if (it != splits_.end() && it->second.max == min_timestamp) {
        if (current_ == &it->second) current_ = &scratch_;
        splits_.erase(it);
      }
    }
    for (const auto& id : ids) find(id);
  }
  void no_more_splits() { no_more_ = true; }

  // The largest timestamp of the split whose records are being emitted.
  int64_t& current_max() { return current_->max; }

  // The records from now on come from split `id` (declared now if unknown);
  // `emitted` is the collector's record count so far.
  void select(const std::string& id, uint64_t emitted) {
    attribute(emitted);
    current_ = &find(id);
    current_->finished = false;
  }

  // Split `id` has no more records: it no longer holds the watermark back.
  void finish(const std::string& id, uint64_t emitted) {
    attribute(emitted);
    find(id).finished = true;
  }

  // After a poll: `emitted` is the collector's record count, `now` the
  // processing time. Recomputes which splits are idle and the subtask's
  // watermark (which never goes back); false if neither it nor the idle
  // status changed.
  bool update(uint64_t emitted, int64_t now) {
    attribute(emitted);
    int64_t wm = max_timestamp;
    bool active = false, open = false;
    for (auto& [id, s] : splits_) {
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

  int64_t watermark() const { return watermark_; }
  bool idle() const { return idle_; }

  // A split's watermark from its largest timestamp: max - B - 1, saturating.
  int64_t split_watermark(int64_t max) const {
    if (max < min_timestamp + bound_ + 1) return min_timestamp;
    return max - bound_ - 1;
  }

  // (split id, largest timestamp) of every split that has seen a record.
  void state(std::vector<std::pair<std::string, int64_t>>& out) const {
    for (const auto& [id, s] : splits_)
      if (s.max != min_timestamp) out.emplace_back(id, s.max);
  }

  // Folds entries of state() from several earlier subtasks into one map: an
  // id named more than once (the implicit split "" of every subtask) keeps
  // the smallest timestamp, which makes no record late that was not before.
  static std::map<std::string, int64_t> merge(
      const std::vector<std::pair<std::string, int64_t>>& entries) {
    std::map<std::string, int64_t> out;
    for (const auto& [id, max] : entries) {
      auto [it, added] = out.emplace(id, max);
      if (!added) it->second = std::min(it->second, max);
    }
    return out;
  }

 private:
  struct split {
    int64_t max = min_timestamp;
    int64_t last_record = 0;  // processing time of its last record (or first update)
    bool seen_clock = false;
    bool had_records = false;  // since the last update()
    bool finished = false;
    bool idle = false;
  };

  split& find(const std::string& id) {
    auto it = splits_.find(id);
    if (it != splits_.end()) return it->second;
    split s;
    auto r = restored_.find(id);
    if (r != restored_.end()) s.max = r->second;
    return splits_.emplace(id, s).first->second;
  }

  // The records since the last mark came from the current split.
  void attribute(uint64_t emitted) {
    if (emitted != mark_) current_->had_records = true;
    mark_ = emitted;
  }

  int64_t bound_ = 0;
  int64_t idleness_ = 0;
  std::map<std::string, split> splits_;  // node-based: references stay valid
  std::map<std::string, int64_t> restored_;
  split scratch_;  // records emitted before the reader names a split
  split* current_ = &scratch_;
  uint64_t mark_ = 0;
  int64_t watermark_ = min_timestamp;
  bool idle_ = false;
  bool assigned_ = false;  // add() was called: splits come at run time
  bool no_more_ = false;   // ... and no more will
};

}  // namespace nagare::detail
