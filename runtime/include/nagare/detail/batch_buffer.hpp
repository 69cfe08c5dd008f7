// Records gathered for one push_batch() call (detail/operator.hpp): where an
// operator that produces records one by one (a source's collector, map,
// flat_map, reduce) collects them so that the next operator of the chain
// gets them a batch at a time, with one virtual call per batch.
//
// A buffer delays records, never reorders them: its owner flushes it before
// anything else that the next operator could observe (the end of a poll or
// of an input batch, a change of split, a watermark), so the next operator
// sees the same records in the same order, between the same other calls, as
// with push() per record.
//
// Not thread-safe: owned by one operator instance, used from its task's
// thread.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "nagare/detail/operator.hpp"

namespace nagare::detail {

// Records a buffer holds before it pushes them on: enough to make the
// virtual call per batch negligible, few enough for the batch to stay in
// the first-level cache for small records.
inline constexpr size_t batch_buffer_records = 256;

// The part of a buffer that does not depend on the record type, for a
// collector_base (nagare/collector.hpp) to flush.
class pending_records {
 public:
  // Pushes the records held to the next operator (nothing if none).
  virtual void flush() = 0;

 protected:
  ~pending_records() = default;
};

template <class T>
class batch_buffer final : public pending_records {
 public:
  batch_buffer() = default;
  explicit batch_buffer(input_port<T>* next) { connect(next); }
  batch_buffer(const batch_buffer&) = delete;
  batch_buffer& operator=(const batch_buffer&) = delete;

  void connect(input_port<T>* next) {
    next_ = next;
    records_.reserve(batch_buffer_records);
  }
  // Holds `record`; pushes the batch on once it is full.
  void add(T&& record) {
    if (size_ < records_.size())
      records_[size_] = std::move(record);
    else
      records_.push_back(std::move(record));
    if (++size_ >= batch_buffer_records) flush();
  }
  // Holds a copy of `record`. The slots outlive a flush, so copying into one
  // reuses what its last record allocated: a reader that emits lines from
  // its own buffer (collector::emit_from) allocates nothing per line.
  void add_copy(const T& record) {
    if (size_ < records_.size())
      records_[size_] = record;
    else
      records_.push_back(record);
    if (++size_ >= batch_buffer_records) flush();
  }
  void flush() override {
    if (size_ == 0) return;
    next_->push_batch(records_.data(), size_);
    size_ = 0;
  }

 private:
  input_port<T>* next_ = nullptr;
  // The first size_ slots hold records not yet pushed on; the rest hold
  // what the next operator left of records already pushed (moved from, or
  // not), kept for their capacity.
  std::vector<T> records_;
  size_t size_ = 0;
};

}  // namespace nagare::detail
