// A sink's transactions as metrics, in a scope of its operator's group
// (nagare/metrics.hpp), kept by the runtime's sink operator:
//
//   nagare_sink_transactions_sealed_total     pre-committed at a barrier
//   nagare_sink_transactions_committed_total  made visible (checkpoint complete)
//   nagare_sink_transactions_recovered_total  handed to recover() by a restore
//                                             (every subtask gets them all and
//                                             commits its share, idempotently)
//   nagare_sink_transaction_failures_total    pre-commits and commits that failed
//   nagare_sink_transactions_pending          sealed, not yet committed
//   nagare_sink_commit_seconds                how long commit() took
//
// Transactions are counted as the sink's pending() entries (one per
// transaction): a sink without transactions (stdout) shows none.
//
// Not thread-safe: the sink's task only.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "nagare/detail/operator.hpp"
#include "nagare/status.hpp"

namespace nagare {
class counter;
class gauge;
class histogram;
}  // namespace nagare

namespace nagare::detail {

class sink_metrics {
 public:
  void open(const subtask_info& info);
  // pre_commit() returned `st`; the sink now has `pending` transactions.
  void sealed(const status& st, size_t pending);
  // commit() returned `st` after `took`; the sink now has `pending`.
  void committed(const status& st, size_t pending, std::chrono::steady_clock::duration took);
  // recover() was handed `entries` transactions and returned `st`; the sink
  // now has `pending`.
  void recovered(const status& st, size_t entries, size_t pending);

 private:
  void set_pending(size_t pending);

  std::shared_ptr<metric_group> group_;  // keeps the scope alive
  counter* sealed_ = nullptr;
  counter* committed_ = nullptr;
  counter* recovered_ = nullptr;
  counter* failures_ = nullptr;
  gauge* pending_ = nullptr;
  histogram* commit_seconds_ = nullptr;
  size_t last_pending_ = 0;
};

}  // namespace nagare::detail
