// The actors at the other end of a task's channels, and the messages that
// reach them: credit to the sender of each input channel, batches, barriers,
// watermarks and end-of-stream to the receiver of each output channel. The
// CAF side of input_channels and output_channels.
//
// Owned by one task actor and called only on its thread; `self` outlives it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <caf/all.hpp>

#include "messages.hpp"
#include "task/input_channels.hpp"
#include "task/output_channels.hpp"

namespace nagare {

class channel_peers final : public credit_link, public output_link {
 public:
  explicit channel_peers(caf::event_based_actor* self) : self_(self) {}

  // Takes the peers of every channel from the master's wiring.
  void wire(const task_wiring& w);
  // Drops the handles (a quit actor keeps its members until its last
  // reference goes, and peers reference each other).
  void clear();

  void return_credit(uint32_t channel, uint32_t n) override;
  void send_batch(uint32_t channel, std::shared_ptr<detail::record_batch> batch) override;
  void send_watermark(uint32_t channel, int64_t watermark, bool idle) override;
  void send_barrier(uint32_t channel, uint64_t id) override;
  void send_end(uint32_t channel) override;

 private:
  struct peer {
    caf::actor actor;
    uint32_t channel = 0;  // the channel's index at the peer
  };
  caf::event_based_actor* self_;
  std::vector<peer> upstream_;    // per input channel
  std::vector<peer> downstream_;  // per output channel
};

}  // namespace nagare
