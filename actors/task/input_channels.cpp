#include "task/input_channels.hpp"

#include <algorithm>

namespace nagare {

input_channels::input_channels(credit_link& link, bool at_least_once)
    : link_(link), at_least_once_(at_least_once) {}

void input_channels::open(const std::vector<uint32_t>& gates) {
  channels_.resize(gates.size());
  for (size_t i = 0; i < gates.size(); ++i) channels_[i].gate = gates[i];
}

void input_channels::clear() {
  channels_.clear();
  ended_ = 0;
  next_ = 0;
  aligning_ = 0;
}

bool input_channels::held(uint32_t channel) const {
  return channels_[channel].aligned && !at_least_once_;
}

void input_channels::grant(uint32_t credit) {
  for (size_t i = 0; i < channels_.size(); ++i)
    link_.return_credit(static_cast<uint32_t>(i), credit);
}

input_channels::step input_channels::next(uint64_t last_checkpoint) {
  step s;
  for (size_t tried = 0; tried < channels_.size(); ++tried) {
    auto index = next_;
    next_ = next_ + 1 == channels_.size() ? 0 : next_ + 1;
    auto& c = channels_[index];
    if (c.queue.empty() || (c.aligned && !at_least_once_)) continue;
    s.channel = static_cast<uint32_t>(index);
    auto& it = c.queue.front();
    if (it.batch) {
      s.what = step::kind::batch;
      s.batch = std::move(it.batch);
    } else if (it.mark) {
      s.what = step::kind::watermark;
      if (it.idle) {
        c.idle = true;
      } else {
        c.idle = false;
        c.watermark = std::max(c.watermark, it.watermark);
      }
    } else if (it.barrier > 0) {
      s.what = step::kind::barrier;
      on_barrier(c, it.barrier, last_checkpoint, s);
    } else {
      s.what = step::kind::end;
      c.ended = true;
      ++ended_;
      s.checkpoint = check_alignment();  // an ended channel no longer holds a checkpoint back
    }
    c.queue.pop_front();
    return s;
  }
  return s;
}

void input_channels::on_barrier(channel& c, uint64_t id, uint64_t last_checkpoint, step& s) {
  if (id <= last_checkpoint) return;  // of a checkpoint abandoned in favour of a later one
  if (id > aligning_) {
    // A newer checkpoint overtakes one still aligning (its barrier was lost
    // upstream with a failure): give up on the older one.
    for (auto& other : channels_) other.aligned = false;
    aligning_ = id;
    s.alignment_started = true;
  } else if (id < aligning_) {
    return;
  }
  c.aligned = true;
  s.checkpoint = check_alignment();
}

uint64_t input_channels::check_alignment() {
  if (aligning_ == 0) return 0;
  for (const auto& c : channels_)
    if (!c.ended && !c.aligned) return 0;
  auto id = aligning_;
  aligning_ = 0;
  for (auto& c : channels_) c.aligned = false;
  return id;
}

input_channels::combined_watermark input_channels::watermark() const {
  combined_watermark w;
  bool active = false;
  for (const auto& c : channels_) {
    if (c.ended) continue;
    w.open = true;
    if (c.idle) continue;
    active = true;
    w.watermark = std::min(w.watermark, c.watermark);
  }
  w.idle = w.open && !active;
  return w;
}

}  // namespace nagare
