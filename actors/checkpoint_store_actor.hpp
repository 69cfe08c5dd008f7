// The checkpoint store (checkpoint_store.hpp) as an actor, so that tasks on
// every node and the job masters reach the coordinator's store. It owns the
// store and does blocking I/O: spawn it detached (its own thread), as
// spawn_checkpoint_store does. Requests are answered one at a time, in order.
//
// Protocol (request -> reply); every reply starts with a status (ok: success;
// a failure's message is never empty):
//   (store_atom, snapshot_upload)
//       -> status                        the chunk is on disk (synced) when ok;
//                                        after the last chunk, the snapshot is
//                                        stored with what it needs
//   (load_atom, uint64 job, uint64 checkpoint, uint32 task, uint32 chunk)
//       -> (status, uint32 chunks, string bytes)
//                                        one chunk of a stored snapshot and how
//                                        many it has; error when absent or unreadable
//   (complete_atom, checkpoint_record, uint32 retained)
//       -> status                        when ok, the record is on disk: the
//                                        checkpoint is complete. Then only the
//                                        newest `retained` (at least 1) complete
//                                        checkpoints of the job are kept, and
//                                        every savepoint, with every snapshot
//                                        they need (a failure to delete is
//                                        logged, not replied).
//   (load_atom, uint64 job)
//       -> (status, vector<checkpoint_record>)  complete ones, ascending id;
//                                        damaged records are logged and left out
//   (load_atom, string savepoint id "JOB-CHECKPOINT")
//       -> (status, checkpoint_record)
//   (load_atom, savepoint_atom)
//       -> (status, vector<checkpoint_record>)  every savepoint of every job
//   (highest_atom, uint64 job)
//       -> (status, uint64 id)     the highest checkpoint id with anything
//                                        stored, 0 if none: number new ones above it
//   (drop_atom, uint64 job)
//       -> status                        deletes all but the job's savepoints
//                                        and the snapshots they need
//
// Shutdown: whoever spawned it sends it an exit message
// (anon_send_exit(store, caf::exit_reason::user_shutdown)).
#pragma once

#include <memory>

#include <caf/all.hpp>

#include "checkpoint_store.hpp"
#include "messages.hpp"

namespace nagare {

// REQUIRES: store != nullptr. The actor is its only user from now on.
caf::actor spawn_checkpoint_store(caf::actor_system& sys, std::shared_ptr<checkpoint_store> store);

}  // namespace nagare
