// Fakes for the task's channel classes: links that record what would be sent
// to the peer tasks, one line per message, and batches of a given size.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nagare/detail/batch.hpp"
#include "task/input_channels.hpp"
#include "task/output_channels.hpp"

namespace nagare::testing {

// A batch of `n` records (their values do not matter here).
inline std::shared_ptr<detail::record_batch> batch_of(size_t n) {
  auto b = std::make_shared<detail::typed_batch<int64_t>>();
  b->records.assign(n, 0);
  return b;
}

// Records "credit C N" for each credit given back.
class recording_credit_link final : public credit_link {
 public:
  void return_credit(uint32_t channel, uint32_t n) override {
    sent.push_back("credit " + std::to_string(channel) + " " + std::to_string(n));
  }
  std::vector<std::string> sent;
};

// Records "batch C N", "watermark C W", "idle C", "barrier C ID", "end C".
class recording_output_link final : public output_link {
 public:
  void send_batch(uint32_t channel, std::shared_ptr<detail::record_batch> batch) override {
    sent.push_back("batch " + std::to_string(channel) + " " + std::to_string(batch->size()));
  }
  void send_watermark(uint32_t channel, int64_t watermark, bool idle) override {
    sent.push_back(idle ? "idle " + std::to_string(channel)
                        : "watermark " + std::to_string(channel) + " " + std::to_string(watermark));
  }
  void send_barrier(uint32_t channel, uint64_t id) override {
    sent.push_back("barrier " + std::to_string(channel) + " " + std::to_string(id));
  }
  void send_end(uint32_t channel) override { sent.push_back("end " + std::to_string(channel)); }
  std::vector<std::string> sent;
};

}  // namespace nagare::testing
