#include "task/output_channels.hpp"

namespace nagare {

void output_channels::clear() {
  channels_.clear();
  if (blocked_ > 0) blocked_total_ += std::chrono::steady_clock::now() - blocked_since_;
  blocked_ = 0;
}

void output_channels::add_credit(uint32_t channel, uint32_t n) {
  channels_[channel].credit += n;
  send_ready(channel);
}

void output_channels::push(uint32_t channel, channel_item it) {
  channels_[channel].queue.push_back(std::move(it));
  send_ready(channel);
}

void output_channels::push_all(const channel_item& it) {
  for (size_t i = 0; i < channels_.size(); ++i) {
    channels_[i].queue.push_back(it);
    send_ready(static_cast<uint32_t>(i));
  }
}

bool output_channels::drained() const {
  for (const auto& out : channels_)
    if (!out.queue.empty()) return false;
  return true;
}

void output_channels::send_ready(uint32_t index) {
  auto& out = channels_[index];
  bool was_blocked = out.blocked;
  while (!out.queue.empty()) {
    auto& front = out.queue.front();
    if (front.batch) {
      if (out.credit == 0) break;
      --out.credit;
      link_.send_batch(index, std::move(front.batch));
    } else if (front.mark) {
      link_.send_watermark(index, front.watermark, front.idle);
    } else if (front.barrier > 0) {
      link_.send_barrier(index, front.barrier);
    } else {
      link_.send_end(index);
    }
    out.queue.pop_front();
  }
  out.blocked = !out.queue.empty();
  if (out.blocked == was_blocked) return;
  if (out.blocked) {
    if (blocked_++ == 0) blocked_since_ = std::chrono::steady_clock::now();
  } else if (--blocked_ == 0) {
    blocked_total_ += std::chrono::steady_clock::now() - blocked_since_;
  }
}

std::chrono::nanoseconds output_channels::blocked_time() const {
  auto t = blocked_total_;
  if (blocked_ > 0) t += std::chrono::steady_clock::now() - blocked_since_;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t);
}

}  // namespace nagare
