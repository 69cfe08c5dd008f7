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

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/owned.hpp"
#include "nagare/time.hpp"

namespace nagare::detail {

// Compiled into libnagare (runtime/src/split_watermarks.cpp) but for the
// per-record current_max().
class split_watermarks {
 public:
  split_watermarks();
  ~split_watermarks();
  split_watermarks(const split_watermarks&) = delete;  // refers to itself
  split_watermarks& operator=(const split_watermarks&) = delete;

  // B >= 0; idleness <= 0: splits never go idle.
  void configure(int64_t out_of_orderness, int64_t idleness) {
    bound_ = out_of_orderness < 0 ? 0 : out_of_orderness;
    idleness_ = idleness;
  }

  // Forgets every split and declares the reader's splits `ids` (known up
  // front, so that a split not read yet holds the watermark back), each with
  // its largest timestamp from `restored` (entries of state() of earlier
  // subtasks; a split absent there has seen none; an id named more than once,
  // such as the implicit split "" of every subtask, keeps the smallest
  // timestamp, which makes no record late that was not before). No ids: the
  // reader is one split, named "". The subtask's watermark starts at
  // min_timestamp.
  void reset(const std::vector<std::string>& ids,
             const std::vector<std::pair<std::string, int64_t>>& restored);

  // Splits assigned at run time (the split contract, nagare/split.hpp): the
  // first call forgets the implicit split "" unless it has seen a record;
  // each of `ids` then holds the watermark back until it has records (or is
  // finished or idle). Until no_more_splits(), a subtask whose splits are
  // all finished (or that has none) is idle: it holds no watermark back
  // while it waits for more.
  void add(const std::vector<std::string>& ids);
  void no_more_splits() { no_more_ = true; }

  // The largest timestamp of the split whose records are being emitted.
  int64_t& current_max() { return current_->max; }

  // The records from now on come from split `id` (declared now if unknown);
  // `emitted` is the collector's record count so far.
  void select(const std::string& id, uint64_t emitted);

  // Split `id` has no more records: it no longer holds the watermark back.
  void finish(const std::string& id, uint64_t emitted);

  // After a poll: `emitted` is the collector's record count, `now` the
  // processing time. Recomputes which splits are idle and the subtask's
  // watermark (which never goes back); false if neither it nor the idle
  // status changed.
  bool update(uint64_t emitted, int64_t now);

  int64_t watermark() const { return watermark_; }
  bool idle() const { return idle_; }

  // A split's watermark from its largest timestamp: max - B - 1, saturating.
  int64_t split_watermark(int64_t max) const {
    if (max < min_timestamp + bound_ + 1) return min_timestamp;
    return max - bound_ - 1;
  }

  // (split id, largest timestamp) of every split that has seen a record.
  void state(std::vector<std::pair<std::string, int64_t>>& out) const;

 private:
  struct split {
    int64_t max = min_timestamp;
    int64_t last_record = 0;  // processing time of its last record (or first update)
    bool seen_clock = false;
    bool had_records = false;  // since the last update()
    bool finished = false;
    bool idle = false;
  };
  struct table;  // the splits by id, and the restored maxima

  split& find(const std::string& id);
  // The records since the last mark came from the current split.
  void attribute(uint64_t emitted) {
    if (emitted != mark_) current_->had_records = true;
    mark_ = emitted;
  }

  int64_t bound_ = 0;
  int64_t idleness_ = 0;
  owned<table> table_;
  split scratch_;  // records emitted before the reader names a split
  split* current_ = &scratch_;
  uint64_t mark_ = 0;
  int64_t watermark_ = min_timestamp;
  bool idle_ = false;
  bool assigned_ = false;  // add() was called: splits come at run time
  bool no_more_ = false;   // ... and no more will
};

}  // namespace nagare::detail
