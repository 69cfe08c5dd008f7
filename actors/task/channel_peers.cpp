#include "task/channel_peers.hpp"

namespace nagare {

void channel_peers::wire(const task_wiring& w) {
  downstream_.resize(w.outputs.size());
  for (size_t i = 0; i < w.outputs.size(); ++i)
    downstream_[i] = peer{w.outputs[i], w.output_channels[i]};
  upstream_.resize(w.inputs.size());
  for (size_t i = 0; i < w.inputs.size(); ++i)
    upstream_[i] = peer{w.inputs[i], w.input_channels[i]};
}

void channel_peers::clear() {
  upstream_.clear();
  downstream_.clear();
}

void channel_peers::return_credit(uint32_t channel, uint32_t n) {
  const auto& p = upstream_[channel];
  self_->send(p.actor, credit_atom::value, p.channel, n);
}

void channel_peers::send_batch(uint32_t channel, std::shared_ptr<detail::record_batch> batch) {
  const auto& p = downstream_[channel];
  self_->send(p.actor, batch_message{p.channel, std::move(batch), {}});
}

void channel_peers::send_watermark(uint32_t channel, int64_t watermark, bool idle) {
  const auto& p = downstream_[channel];
  self_->send(p.actor, watermark_atom::value, p.channel, watermark, idle);
}

void channel_peers::send_barrier(uint32_t channel, uint64_t id) {
  const auto& p = downstream_[channel];
  self_->send(p.actor, barrier_atom::value, p.channel, id);
}

void channel_peers::send_end(uint32_t channel) {
  const auto& p = downstream_[channel];
  self_->send(p.actor, eos_atom::value, p.channel);
}

}  // namespace nagare
