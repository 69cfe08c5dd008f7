// The task's side of checkpoints: barrier alignment, taking a snapshot,
// uploading and acknowledging it, committing, and restoring state (whole
// incremental chains) when a job (re)starts. See task.hpp for the protocol.
#include <algorithm>
#include <deque>
#include <map>
#include <optional>

#include "checkpoint_store.hpp"
#include "log.hpp"
#include "state/kv_store.hpp"
#include "nagare/detail/one_input_operator.hpp"
#include "nagare/hash.hpp"
#include "restore_assembly.hpp"
#include "snapshot_writer.hpp"
#include "task.hpp"

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

void task_actor::on_barrier(uint32_t channel, uint64_t id) {
  if (id <= last_checkpoint_) return;  // of a checkpoint abandoned in favour of a later one
  if (id > aligning_) {
    // A newer checkpoint overtakes one still aligning (its barrier was lost
    // upstream with a failure): give up on the older one.
    for (auto& in : inputs_) in.aligned = false;
    aligning_ = id;
    aligned_count_ = 0;
    first_barrier_ = clock::now();
  } else if (id < aligning_) {
    return;
  }
  auto& in = inputs_[channel];
  if (!in.aligned) {
    in.aligned = true;
    ++aligned_count_;
  }
  check_alignment();
}

void task_actor::check_alignment() {
  if (aligning_ == 0) return;
  size_t open_channels = 0;
  for (const auto& in : inputs_)
    if (!in.ended && !in.aligned) ++open_channels;
  if (open_channels > 0) return;
  auto id = aligning_;
  aligning_ = 0;
  aligned_count_ = 0;
  for (auto& in : inputs_) in.aligned = false;
  take_checkpoint(id);  // run(), the caller, goes on with the channels that waited
}

void task_actor::take_checkpoint(uint64_t id) {
  last_checkpoint_ = id;
  auto alignment_us = micros_since(first_barrier_);
  auto started = clock::now();
  bool finished = phase_ == phase::ended || phase_ == phase::draining;
  // The operators' key groups are encoded as they write them, a frame at a
  // time (snapshot_stream.hpp): kept in memory while they fit in one chunk,
  // then written to the node's local copy chunk by chunk, so a large state
  // is never whole in memory.
  std::string head;
  std::optional<snapshot_writer> local;
  snapshot_encoder encoder(chain_->nodes().size(), [&](std::string&& frame) -> status {
    if (!local) {
      if (!setup_.local_store || head.size() + frame.size() <= snapshot_chunk_bytes) {
        if (head.empty())
          head = std::move(frame);
        else
          head.append(frame);
        return {};
      }
      local.emplace(*setup_.local_store, setup_.job_id, id, setup_.task_index, false);
      auto st = local->append(head);
      std::string().swap(head);
      if (!st.ok()) return st;
    }
    return local->append(frame);
  });
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
  std::string stored_error;
  if (!encoded.ok() && encoded.code() != errc::io_error)
    return fail(status(encoded.code(), chain_->info().task_name + ": checkpoint " +
                                           std::to_string(id) + ": " + encoded.message()));
  if (!encoded.ok())
    stored_error = encoded.message();
  else if (local)
    stored_error = local->finish(needs.value()).message();
  std::shared_ptr<std::string> bytes;
  if (!local) {
    bytes = std::make_shared<std::string>(std::move(head));
    if (setup_.local_store) {
      auto copy = setup_.local_store->put_snapshot(setup_.job_id, id, setup_.task_index, *bytes,
                                                   false, needs.value());
      if (!copy.ok())
        NAGARE_LOG(warning, "task")
            << chain_->info().task_name << ": cannot keep a local copy of checkpoint " << id << ": "
            << copy.message();
    }
  }
  const auto size = encoder.bytes();
  // Downstream may snapshot as soon as it has the barrier: this task's part
  // is fixed now. The upload happens in the background, from memory or, for
  // a snapshot of several chunks, from the local copy a chunk at a time.
  // (A task that has sent end-of-stream sends no barrier after it.)
  if (phase_ == phase::running) enqueue_all(item{nullptr, id});
  if (!stored_error.empty()) {
    send(setup_.master, decline_atom::value, setup_.task_index, id,
         "cannot keep snapshot: " + stored_error);
    return;
  }
  auto ack = std::make_shared<checkpoint_ack>();
  ack->bytes = size;
  ack->alignment_us = chain_->is_source() ? 0 : alignment_us;
  ack->sync_us = micros_since(started);
  ack->finished = finished;
  ack->state_keys = chain_->state_keys();
  ack->needs = std::move(needs.value());
  upload(id, std::move(bytes), 0, std::move(ack));
}

void task_actor::upload(uint64_t id, std::shared_ptr<std::string> bytes, uint32_t chunk,
                        std::shared_ptr<const checkpoint_ack> ack) {
  snapshot_upload u;
  u.job_id = setup_.job_id;
  u.checkpoint = id;
  u.task = setup_.task_index;
  u.chunk = chunk;
  u.needs = ack->needs;
  if (bytes) {
    u.chunks = static_cast<uint32_t>(
        std::max<size_t>(1, (bytes->size() + snapshot_chunk_bytes - 1) / snapshot_chunk_bytes));
    if (u.chunks == 1)
      u.bytes = std::move(*bytes);  // no copy: nothing else needs them
    else
      u.bytes =
          bytes->substr(static_cast<size_t>(chunk) * snapshot_chunk_bytes, snapshot_chunk_bytes);
    if (chunk + 1 == u.chunks) bytes.reset();
  } else {
    // Read back from the local copy (stored in the same chunks).
    auto piece = setup_.local_store->snapshot_chunk(setup_.job_id, id, setup_.task_index, chunk);
    if (!piece.ok()) {
      send(setup_.master, decline_atom::value, setup_.task_index, id,
           "cannot read back the local copy to upload it: " + piece.error().message());
      return;
    }
    u.chunks = piece->chunks;
    u.bytes = std::move(piece->bytes);
  }
  const auto chunks = u.chunks;
  auto task = setup_.task_index;
  auto master = setup_.master;
  request(setup_.store, store_timeout, store_atom::value, std::move(u))
      .then(
          [this, master, task, id, bytes, chunk, chunks, ack](std::string& error) {
            if (!error.empty())
              send(master, decline_atom::value, task, id, "cannot store snapshot: " + error);
            else if (chunk + 1 < chunks)
              upload(id, bytes, chunk + 1, ack);
            else
              send(master, ack_atom::value, task, id, *ack);
          },
          [this, master, task, id](caf::error& e) {
            send(master, decline_atom::value, task, id,
                 "cannot store snapshot: " + system().render(e));
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
  status closed;
  if (!guarded([&] { closed = chain_->close(); })) return;
  if (!closed.ok()) return fail(closed);
  phase_ = phase::done;
  send(setup_.master, finished_atom::value, setup_.task_index, stats_);
  quit();
}

// Loads from the checkpoint store under way at once, per restoring task: each
// reply's bytes stay in memory until decoded, so a task restoring from many
// earlier tasks (a rescale) takes them two at a time.
constexpr size_t max_fetches = 2;

struct task_actor::restore_state {
  restore_assembly assembly;
  caf::typed_response_promise<std::string> rp;
  size_t loading = 0;                                // snapshots asked for and not yet arrived
  std::deque<restore_assembly::snapshot_ref> queue;  // to fetch from the store
  size_t fetching = 0;                               // fetches under way
  status error;                                      // the first failure
  bool answered = false;
  // Fetched snapshots of several chunks, kept on disk until restored (in the
  // task's state directory; null: none, or in memory).
  std::shared_ptr<detail::kv_store> scratch;
};

namespace {

// The chunks of a snapshot in the node's store of local copies.
snapshot_chunk_source local_chunks(std::shared_ptr<checkpoint_store> store, uint64_t job,
                                   uint64_t checkpoint, uint32_t task) {
  return [store, job, checkpoint, task](uint32_t chunk) -> result<snapshot_chunk> {
    auto piece = store->snapshot_chunk(job, checkpoint, task, chunk);
    if (!piece.ok()) return piece.error();
    return snapshot_chunk{piece->chunks, std::move(piece->bytes)};
  };
}

// Where a fetched chunk is kept in the scratch store.
std::string scratch_key(uint64_t checkpoint, uint32_t task, uint32_t chunk) {
  return std::to_string(checkpoint) + "/" + std::to_string(task) + "/" + std::to_string(chunk);
}

snapshot_chunk_source scratch_chunks(std::shared_ptr<detail::kv_store> store, uint64_t checkpoint,
                                     uint32_t task, uint32_t chunks) {
  return [store, checkpoint, task, chunks](uint32_t chunk) -> result<snapshot_chunk> {
    snapshot_chunk c{chunks, {}};
    try {
      if (chunk >= chunks || !store->get(scratch_key(checkpoint, task, chunk), c.bytes))
        return status::io_error("fetched chunk " + std::to_string(chunk) + " of checkpoint " +
                                std::to_string(checkpoint) + ", task " + std::to_string(task) +
                                " is missing");
    } catch (const detail::operator_failure& e) {
      return e.st;
    }
    return c;
  };
}

}  // namespace

void task_actor::restore(caf::typed_response_promise<std::string> rp) {
  const auto& spec = setup_.restore;
  const auto& info = chain_->info();
  lineage_ = snapshot_lineage(chain_->state_keys());
  auto groups = key_groups_of(info.subtask, info.max_parallelism, info.parallelism);
  auto r = std::make_shared<restore_state>(
      restore_state{restore_assembly(spec.checkpoint, spec.tasks, chain_->state_keys(),
                                     groups.first, groups.last),
                    rp,
                    0,
                    {},
                    0,
                    {},
                    false,
                    nullptr});
  load_snapshots(r);
  if (r->loading == 0) snapshot_loaded(r, {});  // nothing to load (or all local)
}

void task_actor::load_snapshots(const std::shared_ptr<restore_state>& r) {
  const auto& spec = setup_.restore;
  auto refs = r->assembly.next();
  r->loading += refs.size();  // before any arrives: local copies arrive at once
  for (auto ref : refs) {
    if (!r->error.ok()) {  // failed meanwhile: load no more
      --r->loading;
      continue;
    }
    // A copy on this node is as good as the store's, when it is intact. Its
    // key groups are read from it when the operators restore.
    if (setup_.local_store) {
      auto decoded = read_snapshot_stream(
          local_chunks(setup_.local_store, spec.job_id, ref.checkpoint, ref.task),
          r->assembly.filter(ref.checkpoint, ref.task));
      if (decoded.ok()) {
        snapshot_loaded(r, r->assembly.add(ref.checkpoint, ref.task, std::move(decoded.value())));
        continue;
      }
    }
    r->queue.push_back(ref);
  }
  while (r->error.ok() && r->fetching < max_fetches && !r->queue.empty()) {
    auto ref = r->queue.front();
    r->queue.pop_front();
    ++r->fetching;
    fetch_snapshot(r, ref.checkpoint, ref.task, 0, nullptr);
  }
}

void task_actor::fetch_snapshot(const std::shared_ptr<restore_state>& r, uint64_t checkpoint,
                                uint32_t task, uint32_t chunk,
                                std::shared_ptr<std::string> buffer) {
  const auto& spec = setup_.restore;
  request(setup_.store, store_timeout, load_atom::value, spec.job_id, checkpoint, task, chunk)
      .then(
          [this, r, checkpoint, task, chunk, buffer](std::string& error, uint32_t chunks,
                                                     std::string& bytes) mutable {
            if (!error.empty()) {
              --r->fetching;
              return snapshot_loaded(r, r->assembly.load_failed(checkpoint, task, error));
            }
            if (chunks == 1) {
              --r->fetching;
              return snapshot_loaded(r, r->assembly.add(checkpoint, task, std::move(bytes)));
            }
            // Several chunks: kept on disk when the task has a state
            // directory, read back a frame at a time by the restore.
            if (chunk == 0 && !r->scratch && !chain_->info().state.directory.empty()) {
              auto made = detail::kv_store::create(chain_->info().state.directory + "/restore");
              if (made.ok()) r->scratch = std::move(made.value());
            }
            if (r->scratch && !buffer) {
              try {
                r->scratch->put(scratch_key(checkpoint, task, chunk), bytes);
              } catch (const detail::operator_failure& e) {
                --r->fetching;
                return snapshot_loaded(r, e.st);
              }
              std::string().swap(bytes);
              if (chunk + 1 < chunks)
                return fetch_snapshot(r, checkpoint, task, chunk + 1, nullptr);
              --r->fetching;
              auto decoded =
                  read_snapshot_stream(scratch_chunks(r->scratch, checkpoint, task, chunks),
                                       r->assembly.filter(checkpoint, task));
              if (!decoded.ok())
                return snapshot_loaded(
                    r, r->assembly.load_failed(checkpoint, task, decoded.error().message()));
              return snapshot_loaded(r,
                                     r->assembly.add(checkpoint, task, std::move(decoded.value())));
            }
            if (!buffer) {
              buffer = std::make_shared<std::string>();
              buffer->reserve(bytes.size() * chunks);
            }
            buffer->append(bytes);
            std::string().swap(bytes);
            if (chunk + 1 < chunks) return fetch_snapshot(r, checkpoint, task, chunk + 1, buffer);
            --r->fetching;
            snapshot_loaded(r, r->assembly.add(checkpoint, task, std::move(*buffer)));
          },
          [this, r, checkpoint, task](caf::error& e) {
            --r->fetching;
            // Not damage (the message does not start with "checkpoint"): the
            // next attempt tries the same checkpoint again.
            snapshot_loaded(
                r, status::io_error("cannot load checkpoint " + std::to_string(checkpoint) +
                                    ", task " + std::to_string(task) + ": " + system().render(e)));
          });
}

void task_actor::snapshot_loaded(const std::shared_ptr<restore_state>& r, const status& st) {
  if (r->answered) return;
  if (r->loading > 0) --r->loading;
  if (!st.ok() && r->error.ok()) r->error = st;
  if (r->error.ok()) {
    load_snapshots(r);  // the links it revealed, and the next fetches
  } else {
    r->loading -= r->queue.size();  // never fetched
    r->queue.clear();
  }
  if (r->loading > 0) return;
  r->answered = true;
  if (!r->error.ok()) {
    r->rp.deliver(r->error.message());
    return;
  }
  if (!r->assembly.done()) {
    r->rp.deliver(std::string("cannot restore ") + chain_->info().task_name +
                  ": snapshots missing from the restore");
    return;
  }
  auto restored = apply_restore(r->assembly);
  r->rp.deliver(restored.ok() ? std::string{} : restored.message());
}

status task_actor::apply_restore(restore_assembly& a) {
  const auto& spec = setup_.restore;
  // Its own snapshot (same job, same task): later deltas may extend it.
  if (spec.checkpoint != 0 && spec.job_id == setup_.job_id)
    for (const auto& t : spec.tasks)
      if (t.task == setup_.task_index && t.state_keys == chain_->state_keys())
        lineage_.restored(spec.checkpoint, a.chains_of(t.task));
  bool finished = a.all_finished();
  status restored;
  {
    auto per_operator = a.take();
    if (!guarded([&] { restored = chain_->restore(per_operator); }))
      return status(errc::user_error, "restoring " + chain_->info().task_name + " failed");
  }  // the restored snapshots are freed here
  if (!restored.ok()) return restored;
  last_checkpoint_ = spec.checkpoint;
  restored_finished_ = finished;
  return {};
}

}  // namespace nagare
