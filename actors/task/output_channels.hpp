// The output side of a task: per output channel the credit its receiver has
// granted and the items waiting for it. A batch is sent only against a
// credit; barriers, watermarks and end-of-stream need none but keep their
// place behind the batches queued before them. A channel holding a batch it
// has no credit for is blocked, and while any channel is blocked the task
// takes no more input (a source stops polling).
//
// Not thread-safe: owned and called by one task actor. The output_link
// passed in must outlive the object.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "task/channel_item.hpp"

namespace nagare {

// Where output_channels sends items: the task's downstream peers (or a test).
class output_link {
 public:
  virtual void send_batch(uint32_t channel, std::shared_ptr<detail::record_batch> batch) = 0;
  virtual void send_watermark(uint32_t channel, int64_t watermark, bool idle) = 0;
  virtual void send_barrier(uint32_t channel, uint64_t id) = 0;
  virtual void send_end(uint32_t channel) = 0;

 protected:
  ~output_link() = default;
};

class output_channels {
 public:
  explicit output_channels(output_link& link) : link_(link) {}

  // Sets up `count` channels without credit. Called once, at wiring.
  void open(size_t count) { channels_.resize(count); }
  // Drops every channel and its queued items.
  void clear();

  size_t size() const { return channels_.size(); }
  bool has(uint32_t channel) const { return channel < channels_.size(); }

  // REQUIRES: has(channel) here and for the accessors below.
  // The receiver granted `n` more batches; sends what they allow.
  void add_credit(uint32_t channel, uint32_t n);
  // Queues `it` on `channel` and sends what the credit allows.
  void push(uint32_t channel, channel_item it);
  // The same, on every channel.
  void push_all(const channel_item& it);

  uint32_t credit(uint32_t channel) const { return channels_[channel].credit; }
  size_t queued(uint32_t channel) const { return channels_[channel].queue.size(); }
  // Whether some channel holds a batch it has no credit for.
  bool blocked() const { return blocked_ > 0; }
  size_t blocked_count() const { return blocked_; }
  // How long the task has been backpressured so far: blocked, its input
  // held back by the lack of credit downstream.
  std::chrono::nanoseconds blocked_time() const;
  // Whether every queued item has been sent.
  bool drained() const;

 private:
  struct channel {
    uint32_t credit = 0;
    std::deque<channel_item> queue;
    bool blocked = false;  // holds a batch it has no credit for
  };
  // Sends the channel's queued items, in order, until a batch lacks credit.
  void send_ready(uint32_t index);

  output_link& link_;
  std::vector<channel> channels_;
  size_t blocked_ = 0;
  std::chrono::steady_clock::time_point blocked_since_;  // while blocked_ > 0
  std::chrono::steady_clock::duration blocked_total_{};  // over earlier blocked spells
};

}  // namespace nagare
