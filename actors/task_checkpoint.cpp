// The task's side of checkpoints: taking a snapshot (barrier alignment is
// input_channels'), uploading and acknowledging it, committing. See task.hpp
// for the protocol.
#include <algorithm>

#include "checkpoint_store.hpp"
#include "log.hpp"
#include "snapshot_stream.hpp"
#include "task.hpp"
#include "task/chunked_upload.hpp"
#include "task/snapshot_spool.hpp"

namespace nagare {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto store_timeout = std::chrono::seconds(60);

uint64_t micros_since(clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - t).count());
}

}  // namespace

void task_actor::on_trigger(uint64_t id) {
  // Sources are triggered; so is a task whose input has ended (no barrier
  // will reach it any more). Anyone else waits for its barriers.
  if (id <= last_checkpoint_) return;
  if (step_ != watermark_step::none) {  // never half-way through a step: after it
    deferred_trigger_ = std::max(deferred_trigger_, id);
    return;
  }
  if (phase_ == phase::ended || phase_ == phase::draining ||
      (phase_ == phase::running && chain_->is_source())) {
    first_barrier_ = clock::now();
    take_checkpoint(id);
  }
}

void task_actor::take_checkpoint(uint64_t id) {
  last_checkpoint_ = id;
  auto alignment_us = micros_since(first_barrier_);
  auto started = clock::now();
  bool finished = phase_ == phase::ended || phase_ == phase::draining;
  // The operators' key groups are encoded as they write them, a frame at a
  // time (snapshot_stream.hpp), into the spool: in memory or the local copy.
  snapshot_spool spool(setup_.local_store.get(), setup_.job_id, id, setup_.task_index);
  snapshot_encoder encoder(chain_->nodes().size(),
                           [&](std::string&& frame) { return spool.append(std::move(frame)); });
  status prepared;
  std::vector<detail::operator_snapshot> snaps;
  if (!guarded([&] {
        prepared = chain_->prepare_checkpoint(id);
        if (prepared.ok()) snaps = chain_->snapshot(&encoder);
      }))
    return;
  if (!prepared.ok()) return fail(prepared);
  // What this snapshot needs of earlier ones (incremental chains); a delta
  // over a snapshot the runtime does not keep is a bug of its operator.
  auto needs = lineage_.take(id, snaps);
  if (!needs.ok())
    return fail(status(needs.error().code(), chain_->info().task_name + ": checkpoint " +
                                                 std::to_string(id) + ": " +
                                                 needs.error().message()));
  auto encoded = encoder.finish(snaps);
  snaps.clear();
  if (!encoded.ok() && encoded.code() != errc::io_error)
    return fail(status(encoded.code(), chain_->info().task_name + ": checkpoint " +
                                           std::to_string(id) + ": " + encoded.message()));
  // (An io_error can only come from the local copy, so the spool spilled.)
  auto stored = encoded.ok() ? spool.finish(needs.value()) : encoded;
  if (!spool.copy_error().ok())
    NAGARE_LOG(warning, "task") << chain_->info().task_name
                                << ": cannot keep a local copy of checkpoint " << id << ": "
                                << spool.copy_error().message();
  const auto size = encoder.bytes();
  // Downstream may snapshot as soon as it has the barrier: this task's part
  // is fixed now. The upload happens in the background, from memory or, for
  // a snapshot of several chunks, from the local copy a chunk at a time.
  // (A task that has sent end-of-stream sends no barrier after it.)
  if (phase_ == phase::running) outputs_.push_all(channel_item::of_barrier(id));
  if (!stored.ok()) {
    send(setup_.master, decline_atom::value, setup_.task_index, id,
         status(stored.code(), "cannot keep snapshot: " + stored.message()));
    return;
  }
  auto ack = std::make_shared<checkpoint_ack>();
  ack->bytes = size;
  ack->alignment_us = chain_->is_source() ? 0 : alignment_us;
  ack->sync_us = micros_since(started);
  ack->finished = finished;
  ack->state_keys = chain_->state_keys();
  ack->needs = std::move(needs.value());
  upload(id,
         std::make_shared<chunked_upload>(setup_.job_id, id, setup_.task_index, spool.take_bytes(),
                                          setup_.local_store),
         std::move(ack), clock::now());
}

void task_actor::upload(uint64_t id, std::shared_ptr<chunked_upload> up,
                        std::shared_ptr<const checkpoint_ack> ack, clock::time_point synced) {
  auto piece = up->next();
  if (!piece.ok()) {
    send(setup_.master, decline_atom::value, setup_.task_index, id,
         status(piece.error().code(),
                "cannot read back the local copy to upload it: " + piece.error().message()));
    return;
  }
  snapshot_upload u;
  u.job_id = setup_.job_id;
  u.checkpoint = id;
  u.task = setup_.task_index;
  u.chunk = piece->chunk;
  u.chunks = piece->chunks;
  u.needs = ack->needs;
  u.bytes = std::move(piece->bytes);
  auto task = setup_.task_index;
  auto master = setup_.master;
  request(setup_.store, store_timeout, store_atom::value, std::move(u))
      .then(
          [this, master, task, id, up, ack, synced](status& error) {
            if (!error.ok()) {
              send(master, decline_atom::value, task, id,
                   status(error.code(), "cannot store snapshot: " + error.message()));
            } else if (!up->done()) {
              upload(id, up, ack, synced);
            } else {
              auto done = *ack;
              done.async_us = micros_since(synced);
              send(master, ack_atom::value, task, id, done);
            }
          },
          [this, master, task, id](caf::error& e) {
            send(master, decline_atom::value, task, id,
                 status(status_of(e).code(), "cannot store snapshot: " + system().render(e)));
          });
}

void task_actor::on_complete(uint64_t id, bool last) {
  if (phase_ == phase::done || phase_ == phase::wired) return;
  status committed;
  if (!guarded([&] { committed = chain_->checkpoint_complete(id); })) return;
  if (!committed.ok()) return fail(committed);
  // Local copies older than a complete checkpoint are no longer needed here
  // (a fallback to an older one reads the checkpoint store's), unless a
  // later snapshot's chain needs them (the store keeps those).
  lineage_.completed(id);
  if (setup_.local_store) setup_.local_store->drop_before(setup_.job_id, id);
  if (!last) return;
  // The job's last checkpoint: it finished, or stops.
  stats_.dead_letters = chain_->dead_letters();
  stats_.late_records = chain_->late_records();
  status closed;
  if (!guarded([&] { closed = chain_->close(); })) return;
  if (!closed.ok()) return fail(closed);
  stats_.backpressured_ns = static_cast<uint64_t>(outputs_.blocked_time().count());
  publish_metrics();
  phase_ = phase::done;
  send(setup_.master, finished_atom::value, setup_.task_index, stats_);
  quit();
}

}  // namespace nagare
