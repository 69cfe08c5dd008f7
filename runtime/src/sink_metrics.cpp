#include "nagare/detail/sink_metrics.hpp"

#include "nagare/metrics.hpp"

namespace nagare::detail {

void sink_metrics::open(const subtask_info& info) {
  group_ = info.metrics ? info.metrics : std::make_shared<metric_group>();
  auto& m = group_->scope("nagare_sink_");
  sealed_ = &m.counter("transactions_sealed", "Transactions the sink sealed at a barrier");
  committed_ = &m.counter("transactions_committed",
                          "Transactions the sink made visible once their checkpoint completed");
  recovered_ =
      &m.counter("transactions_recovered",
                 "Transactions of the restored checkpoint handed to the sink (each subtask "
                 "gets them all and commits its share)");
  failures_ = &m.counter("transaction_failures", "Pre-commits and commits that failed");
  pending_ = &m.gauge("transactions_pending", "Transactions sealed and not yet committed");
  commit_seconds_ = &m.histogram("commit_seconds", "Time a commit took, in seconds",
                                 histogram::exponential(0.0005, 2, 14));
  last_pending_ = 0;
}

void sink_metrics::set_pending(size_t pending) {
  last_pending_ = pending;
  pending_->set(static_cast<double>(pending));
}

void sink_metrics::sealed(const status& st, size_t pending) {
  if (!sealed_) return;
  if (!st.ok()) failures_->inc();
  if (pending > last_pending_) sealed_->inc(pending - last_pending_);
  set_pending(pending);
}

void sink_metrics::committed(const status& st, size_t pending,
                             std::chrono::steady_clock::duration took) {
  if (!sealed_) return;
  if (!st.ok()) failures_->inc();
  commit_seconds_->observe(std::chrono::duration<double>(took).count());
  if (pending < last_pending_) committed_->inc(last_pending_ - pending);
  set_pending(pending);
}

void sink_metrics::recovered(const status& st, size_t entries, size_t pending) {
  if (!sealed_) return;
  if (!st.ok()) failures_->inc();
  recovered_->inc(entries);
  set_pending(pending);
}

}  // namespace nagare::detail
