// What a flat_map (or a source) emits into: each emit() passes one record to
// the next operator of the chain by function call, at once or, from the
// collectors the runtime gives sources and flat_maps over a batch, a batch
// at a time (detail/batch_buffer.hpp: the records reach the next operator
// in the same order, before the poll or the batch ends).
//
// Sources also say through it which split each record comes from, so that
// watermarks are generated per split (nagare/watermark.hpp):
//
//   out.split("3 /data/part-3");        // records from now on come from this split
//   out.emit(record); ...
//   out.split_finished("3 /data/part-3");  // no more records from it
//
// A reader that never names a split is one split. Split names must be stable
// across runs (a restored source finds its splits' state by name). Outside a
// source's poll() both calls do nothing.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "nagare/detail/batch_buffer.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/detail/split_watermarks.hpp"

namespace nagare {

template <class T>
class collector;

namespace detail {

// The part of a collector that is not about the record type: the record count
// and where split changes go.
class collector_base {
 public:
  // The records emitted from now on come from split `id`.
  void split(const std::string& id) {
    flush();
    if (parent_) parent_->split(id);
    if (splits_) splits_->select(id, emitted_);
  }
  // Split `id` has no more records.
  void split_finished(const std::string& id) {
    flush();
    if (parent_) parent_->split_finished(id);
    if (splits_) splits_->finish(id, emitted_);
  }
  // Records emitted through this collector so far.
  uint64_t emitted() const { return emitted_; }

 protected:
  collector_base() = default;
  explicit collector_base(collector_base* parent) : parent_(parent) {}

  // Pushes on the records a buffered collector holds: a split change comes
  // after the records emitted before it.
  void flush() {
    if (pending_) pending_->flush();
  }

  collector_base* parent_ = nullptr;  // gets the split changes too
  split_watermarks* splits_ = nullptr;
  pending_records* pending_ = nullptr;  // the buffer of a buffered collector
  uint64_t emitted_ = 0;
};

}  // namespace detail

template <class T>
class collector : public detail::collector_base {
 public:
  explicit collector(detail::input_port<T>* next) : next_(next) {}
  // A collector for a reader that wraps another one (say, one that parses
  // the lines of a text reader): its records go to `next`, the split changes
  // the inner reader makes to `outer`, the collector of the wrapping reader.
  template <class U>
  collector(detail::input_port<T>* next, collector<U>& outer)
      : collector_base(&outer), next_(next) {}
  // The collector of a source with a watermark strategy: split changes go
  // to `splits` (`next` takes the records' timestamps).
  // REQUIRES: `splits` outlives the collector.
  collector(detail::input_port<T>* next, detail::split_watermarks* splits) : next_(next) {
    splits_ = splits;
  }
  // A buffered collector (the runtime's, for a source or a flat_map over a
  // batch): records go into `buffer`, which hands them on a batch at a time;
  // a split change flushes it first, and its owner flushes it when the poll
  // or batch ends. `splits` may be null. REQUIRES: both outlive the
  // collector.
  collector(detail::batch_buffer<T>* buffer, detail::split_watermarks* splits)
      : next_(nullptr), buffer_(buffer) {
    splits_ = splits;
    pending_ = buffer;
  }

  void emit(T record) {
    ++emitted_;
    if (buffer_)
      buffer_->add(std::move(record));
    else
      next_->push(record);
  }
  void operator()(T record) { emit(std::move(record)); }
  // Emits a record the caller owns and fills again for the next one, which
  // keeps its capacity, so a reader of lines allocates nothing per line:
  // unbuffered, the next operator gets the record itself (it may move from
  // it: left valid, unspecified); buffered, a copy into a slot of the
  // buffer, which reuses what the slot's last record allocated.
  void emit_from(T& record) {
    ++emitted_;
    if (buffer_)
      buffer_->add_copy(record);
    else
      next_->push(record);
  }

 private:
  detail::input_port<T>* next_;
  detail::batch_buffer<T>* buffer_ = nullptr;
};

}  // namespace nagare
