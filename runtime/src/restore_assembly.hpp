// Collects what a restoring task hands its operators: for each operator, the
// snapshots of every earlier task that ran it, each as a whole chain (a
// complete snapshot, then the deltas over it, oldest first; see
// detail/snapshot.hpp). It says which stored snapshots to load (the restored
// checkpoint's, then, following `extends`, earlier ones of the same task),
// decodes each as it arrives (only the operators and key groups this task
// needs; the bytes are freed), and checks every link.
//
// The loading itself is the caller's (the task actor asks its node's store
// and the checkpoint store, asynchronously):
//
//   restore_assembly a(spec..., my state keys, my key groups);
//   while (!a.done())  for each w in a.next(): load (w.checkpoint, w.task) -> a.add(...)
//   a.take()
//
// An error about a stored snapshot (damaged, missing, a broken link) has the
// code errc::corruption, names the snapshot in its message as "checkpoint C,
// task T: ...", and damaged() says which it is, so that the master can tell
// which checkpoints the damage spoils without reading the message.
//
// Not thread-safe: owned by one task actor.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint_store.hpp"
#include "nagare/detail/snapshot.hpp"
#include "nagare/status.hpp"
#include "snapshot_stream.hpp"

namespace nagare {

class restore_assembly {
 public:
  // The restored checkpoint and its tasks (the record's), this task's state
  // keys, and the key groups it owns ([first, end): keyed state outside them
  // is not decoded).
  restore_assembly(uint64_t checkpoint, const std::vector<stored_task>& tasks,
                   std::vector<std::string> mine, uint32_t first_key_group, uint32_t end_key_group);

  struct snapshot_ref {
    uint64_t checkpoint = 0;
    uint32_t task = 0;
  };
  // The snapshots to load now (each is returned once); empty while the
  // loads under way are awaited, and when done().
  std::vector<snapshot_ref> next();
  // Whether every chain is whole (or an error was reported).
  bool done() const;
  // Whether any earlier task ran one of this task's operators.
  bool needs_state() const { return !chains_.empty(); }

  // A snapshot asked for by next() arrived. The bytes are decoded and freed.
  // An error (damage, a broken link) names the snapshot; after one, the
  // assembly is unusable.
  status add(uint64_t checkpoint, uint32_t task, std::string bytes);
  // The same, for a snapshot the caller has decoded itself (a local copy it
  // checked); `decoded` is taken over.
  status add(uint64_t checkpoint, uint32_t task, std::vector<detail::operator_snapshot> decoded);
  // What to read of a snapshot asked for by next() (for callers that read it
  // themselves): the operators this task runs, the key groups it owns.
  snapshot_filter filter(uint64_t checkpoint, uint32_t task) const;

  // The error for a snapshot that could not be loaded ("checkpoint C, task T:
  // why", errc::corruption); damaged() names it from then on.
  status load_failed(uint64_t checkpoint, uint32_t task, const std::string& why);
  // The snapshot the first error named; nullopt while there was none.
  std::optional<snapshot_ref> damaged() const { return damaged_; }

  // REQUIRES: done() without error. Per operator of this task (in the order
  // of `mine`): the chains of every earlier task that ran it, in the order
  // of `tasks`, each oldest first, every snapshot's `checkpoint` set. Leaves
  // the assembly empty.
  std::vector<std::vector<detail::operator_snapshot>> take();
  // Whether every earlier task it loaded had ended its input by then (false
  // if it loaded none).
  bool all_finished() const { return loaded_any_ && all_finished_; }
  // For earlier task `task`: per its operator (in its record's order) the
  // checkpoints below the restored one in that operator's chain, ascending
  // (empty for operators this task does not run, or complete snapshots).
  // REQUIRES: done() without error, before take().
  std::vector<std::vector<uint64_t>> chains_of(uint32_t task) const;

 private:
  // One earlier operator's chain, loaded from the restored checkpoint down.
  struct chain {
    uint32_t task = 0;
    size_t op = 0;          // its index in the earlier task's snapshot
    uint64_t awaiting = 0;  // the checkpoint whose snapshot comes next; 0: whole
    std::vector<detail::operator_snapshot> links;  // newest first while loading
  };
  status link_error(uint64_t checkpoint, uint32_t task, const std::string& why);

  uint64_t checkpoint_;
  std::vector<stored_task> tasks_;
  std::vector<std::string> mine_;
  uint32_t first_key_group_;
  uint32_t end_key_group_;
  std::vector<chain> chains_;                                // in the order of tasks_, then op
  std::map<std::pair<uint64_t, uint32_t>, bool> requested_;  // -> arrived
  std::vector<snapshot_ref> to_load_;
  bool failed_ = false;
  std::optional<snapshot_ref> damaged_;
  bool loaded_any_ = false;
  bool all_finished_ = true;
};

}  // namespace nagare
