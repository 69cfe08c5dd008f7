// The input side of a task: one queue per input channel, the credit given
// back to each channel's sender, the round-robin choice of the next item,
// checkpoint barrier alignment, and the channels' event time.
//
// Credit: a receiver grants every channel `credit` batches when it starts
// (grant) and gives one back for each batch it has processed (consumed).
// Barriers, watermarks and end-of-stream take no credit.
//
// Alignment (exactly-once): a channel that delivered barrier n is held (not
// read; its batches stay queued and its credit is not given back, so its
// sender is held back too) until barrier n has come on every channel that
// has not ended; next() then says to take checkpoint n. A newer barrier
// overtaking an older one abandons the older checkpoint. In at-least-once
// mode no channel is ever held.
//
// Event time: each channel keeps the highest watermark it delivered and
// whether it went idle; the task's input watermark is the minimum over the
// channels that have neither ended nor gone idle.
//
// Not thread-safe: owned and called by one task actor. The credit_link
// passed in must outlive the object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "task/channel_item.hpp"

namespace nagare {

// Where input_channels sends credit: the task's upstream peers (or a test).
class credit_link {
 public:
  // Gives `n` credits back to the sender of input channel `channel`.
  virtual void return_credit(uint32_t channel, uint32_t n) = 0;

 protected:
  ~credit_link() = default;
};

class input_channels {
 public:
  // What next() took off a queue, and what the task does about it.
  struct step {
    enum class kind {
      none,       // nothing can be read now
      batch,      // process `batch`, then call consumed(channel)
      watermark,  // the channel's watermark or idle status changed: see watermark()
      barrier,    // a barrier (alignment is updated)
      end,        // the channel ended
    };
    kind what = kind::none;
    uint32_t channel = 0;
    std::shared_ptr<detail::record_batch> batch;
    // kind::barrier: the barrier began aligning a new checkpoint.
    bool alignment_started = false;
    // kind::barrier or kind::end: every open channel has delivered barrier
    // `checkpoint`, to be taken now (0: none). The channels it held are
    // read again from now on.
    uint64_t checkpoint = 0;
  };

  // The task's event time over its channels, as watermark() sees it.
  struct combined_watermark {
    bool open = false;                  // some channel has not ended
    bool idle = false;                  // every open channel is idle
    int64_t watermark = max_timestamp;  // minimum over the open, active channels
  };

  input_channels(credit_link& link, bool at_least_once);

  // Sets up one channel per entry of `gates` (the input gate of each
  // channel), all empty and open. Called once, at wiring.
  void open(const std::vector<uint32_t>& gates);
  // Drops every channel and its queued items.
  void clear();

  size_t size() const { return channels_.size(); }
  bool has(uint32_t channel) const { return channel < channels_.size(); }
  // REQUIRES: has(channel) for the accessors below and push/consumed.
  uint32_t gate(uint32_t channel) const { return channels_[channel].gate; }
  size_t queued(uint32_t channel) const { return channels_[channel].queue.size(); }
  // Whether barrier alignment holds the channel (it is not read).
  bool held(uint32_t channel) const;
  // The checkpoint being aligned (0: none).
  uint64_t aligning() const { return aligning_; }

  // An item arrived on `channel` (in order with that channel's earlier ones).
  void push(uint32_t channel, channel_item it) {
    channels_[channel].queue.push_back(std::move(it));
  }
  // Grants `credit` batches to every channel (when the task starts).
  void grant(uint32_t credit);
  // The next item in round-robin order over the channels that can be read
  // (not empty, not held), applied to the channel's state. Barriers of
  // checkpoints up to `last_checkpoint` (taken or abandoned) are ignored.
  step next(uint64_t last_checkpoint);
  // A batch of `channel` was processed: one credit goes back to its sender.
  void consumed(uint32_t channel) { link_.return_credit(channel, 1); }

  combined_watermark watermark() const;
  size_t ended() const { return ended_; }
  bool all_ended() const { return ended_ == channels_.size(); }

 private:
  struct channel {
    uint32_t gate = 0;
    std::deque<channel_item> queue;
    bool ended = false;
    bool aligned = false;               // delivered the barrier being aligned
    int64_t watermark = min_timestamp;  // the highest it delivered
    bool idle = false;                  // holds no watermark back until its next one
  };
  // Barrier `id` was taken from `c`; fills in the step's alignment fields.
  void on_barrier(channel& c, uint64_t id, uint64_t last_checkpoint, step& s);
  // The aligned checkpoint, if every open channel has delivered its barrier
  // (then alignment ends); else 0.
  uint64_t check_alignment();

  credit_link& link_;
  bool at_least_once_;
  std::vector<channel> channels_;
  size_t ended_ = 0;
  size_t next_ = 0;        // round-robin position
  uint64_t aligning_ = 0;  // barrier being aligned (0: none)
};

}  // namespace nagare
