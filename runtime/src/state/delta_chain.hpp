// Incremental checkpoints of a state backend: at each checkpoint, whether to
// write a complete snapshot or a delta, and which delta.
//
// Changes are counted in epochs: epoch 1 runs from the start (or restore) to
// the first snapshot, and every snapshot closes the current epoch. A backend
// tags each change it writes with epoch() and, for a delta, writes every
// change tagged since_epoch or later.
//
// A delta extends the latest checkpoint known to be complete
// (checkpoint_complete), never one merely taken: a checkpoint that is
// declined or fails is never extended, so it never breaks a chain. A complete
// snapshot is written when nothing is known complete yet (so after a restore
// from a savepoint; a restart goes on with the chain it restored, see
// restored()), and when the deltas since the last complete snapshot add up to
// more bytes than the state itself or to max_length deltas, so that a
// restore reads a bounded chain.
//
// Not thread-safe: owned by one operator instance.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "nagare/detail/snapshot.hpp"

namespace nagare::detail {

class delta_chain {
 public:
  // Deltas in a row after a complete snapshot, at most (the bytes rule bounds
  // what a restore reads; this bounds how many snapshots it fetches).
  static constexpr uint32_t max_length = 64;

  // What the next snapshot is: complete (extends == 0) or the changes of
  // epochs since_epoch and later, over checkpoint `extends`.
  struct plan {
    uint64_t extends = 0;
    uint64_t since_epoch = 0;
  };

  // The epoch of changes made now.
  uint64_t epoch() const { return epoch_; }

  // The next snapshot is taken for checkpoint `id` (operator prepare_checkpoint).
  void prepare(uint64_t id) { pending_ = id; }

  // The plan of the next snapshot, for a state of `state_bytes` bytes.
  plan next(uint64_t state_bytes) const {
    if (!complete_ || complete_->length >= max_length || complete_->chain_bytes > state_bytes)
      return {};
    return {complete_->checkpoint, complete_->epoch + 1};
  }

  // The snapshot planned by next() was written, `bytes` long: closes the
  // epoch. A snapshot without a prepared checkpoint is never extended.
  void taken(const plan& p, uint64_t bytes) {
    if (pending_ != 0) {
      record r{pending_, epoch_, 0, 0};
      if (p.extends != 0 && complete_ && complete_->checkpoint == p.extends) {
        r.chain_bytes = complete_->chain_bytes + bytes;
        r.length = complete_->length + 1;
      }
      taken_.erase(std::remove_if(taken_.begin(), taken_.end(),
                                  [&](const record& t) { return t.checkpoint >= pending_; }),
                   taken_.end());
      taken_.push_back(r);
    }
    pending_ = 0;
    ++epoch_;
  }

  // Checkpoint `id` is complete everywhere (operator checkpoint_complete). If
  // this backend took a snapshot for it, later deltas extend that one.
  void complete(uint64_t id) {
    auto it = std::find_if(taken_.begin(), taken_.end(),
                           [&](const record& t) { return t.checkpoint == id; });
    if (it == taken_.end()) return;
    complete_ = *it;
    taken_.erase(std::remove_if(taken_.begin(), taken_.end(),
                                [&](const record& t) { return t.checkpoint <= id; }),
                 taken_.end());
  }

  // The backend was restored from its own snapshot of `checkpoint` (a
  // restart of the same job), a chain of `length` deltas of `chain_bytes`
  // over a complete snapshot: it is complete, and the next delta extends it
  // with every change since the restore. Call before the first change.
  void restored(uint64_t checkpoint, uint64_t chain_bytes, uint32_t length) {
    complete_ = record{checkpoint, epoch_ - 1, chain_bytes, length};
  }

  // The checkpoint later deltas extend (0: none yet).
  uint64_t latest_complete() const { return complete_ ? complete_->checkpoint : 0; }

 private:
  struct record {
    uint64_t checkpoint;   // taken at
    uint64_t epoch;        // the epoch it closed
    uint64_t chain_bytes;  // of the deltas from the last complete snapshot to it, inclusive
    uint32_t length;       // of those deltas
  };
  uint64_t epoch_ = 1;
  uint64_t pending_ = 0;
  std::vector<record> taken_;  // not known complete yet, oldest first
  std::optional<record> complete_;
};

}  // namespace nagare::detail
