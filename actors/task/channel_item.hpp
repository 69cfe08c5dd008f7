// One entry of a task's channel queue, input or output: a batch of records,
// a checkpoint barrier, a watermark (or idle status), or the end of stream.
// Barriers, watermarks and end-of-stream travel in order with the batches
// but take no credit.
//
// A value type: copying one copies the batch's shared_ptr, never its records.
#pragma once

#include <cstdint>
#include <memory>

#include "nagare/detail/batch.hpp"
#include "nagare/time.hpp"

namespace nagare {

struct channel_item {
  std::shared_ptr<detail::record_batch> batch;
  uint64_t barrier = 0;  // with no batch and no mark: a barrier if > 0, else end of stream
  bool mark = false;     // a watermark item: `watermark`, or `idle`
  int64_t watermark = min_timestamp;
  bool idle = false;

  static channel_item of_batch(std::shared_ptr<detail::record_batch> b) {
    return channel_item{std::move(b), 0, false, min_timestamp, false};
  }
  static channel_item of_barrier(uint64_t id) {
    return channel_item{nullptr, id, false, min_timestamp, false};
  }
  static channel_item of_watermark(int64_t wm, bool idle) {
    return channel_item{nullptr, 0, true, wm, idle};
  }
  static channel_item end_of_stream() { return channel_item{}; }

  bool is_batch() const { return batch != nullptr; }
  bool is_mark() const { return !batch && mark; }
  bool is_barrier() const { return !batch && !mark && barrier > 0; }
  bool is_end() const { return !batch && !mark && barrier == 0; }
};

}  // namespace nagare
