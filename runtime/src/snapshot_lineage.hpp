// What a task's snapshots need of its earlier ones. An operator may write a
// delta (operator_snapshot::extends, detail/snapshot.hpp) over its snapshot
// of an earlier checkpoint, which may itself be a delta: restoring the
// task's snapshot of checkpoint n then needs its snapshots of every
// checkpoint in those chains. The task keeps this record so that it can tell
// the checkpoint store (and the master's record) what each snapshot needs,
// and the store never deletes a snapshot that one it keeps needs.
//
// Not thread-safe: owned by one task actor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nagare/detail/snapshot.hpp"
#include "nagare/status.hpp"

namespace nagare {

class snapshot_lineage {
 public:
  // The chain's operators, by their state keys (task_chain::state_keys()), for messages.
  explicit snapshot_lineage(std::vector<std::string> state_keys = {});

  // The task restored its own snapshot of `checkpoint` (same job, same task):
  // chains[i] are the checkpoints below it in operator i's chain (ascending),
  // so a later delta may extend it.
  void restored(uint64_t checkpoint, std::vector<std::vector<uint64_t>> chains);

  // The task took checkpoint `id` (above every one before): sets each
  // snapshot's `checkpoint` to id and returns the earlier checkpoints the
  // task's snapshot needs, ascending (empty when every snapshot is complete).
  // invalid_argument, naming the operator, for a delta that extends a
  // checkpoint not below id, or one this task did not take (or has
  // forgotten: see completed()); nothing is recorded then.
  result<std::vector<uint64_t>> take(uint64_t id, std::vector<detail::operator_snapshot>& snaps);

  // Checkpoint `id` is complete. Operators extend only the newest complete
  // checkpoint or later ones, so what is older and not in the chains of
  // checkpoints from id on is forgotten.
  void completed(uint64_t id);

  // The checkpoints it remembers, ascending (for tests).
  std::vector<uint64_t> remembered() const;

 private:
  std::vector<std::string> state_keys_;
  // checkpoint -> per operator: the checkpoints below it in its chain, ascending.
  std::map<uint64_t, std::vector<std::vector<uint64_t>>> chains_;
};

}  // namespace nagare
