// The task's side of checkpoints: barrier alignment, taking a snapshot,
// acknowledging it, committing, and restoring state when a job (re)starts.
// See task.hpp for the protocol.
#include <algorithm>
#include <map>

#include "checkpoint_store.hpp"
#include "log.hpp"
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
  status prepared;
  std::vector<detail::operator_snapshot> snaps;
  if (!guarded([&] {
        prepared = chain_->prepare_checkpoint(id);
        if (prepared.ok()) snaps = chain_->snapshot();
      }))
    return;
  if (!prepared.ok()) return fail(prepared);
  auto bytes = std::make_shared<std::string>(encode_snapshots(snaps));
  if (setup_.local_store) {
    auto local =
        setup_.local_store->put_snapshot(setup_.job_id, id, setup_.task_index, *bytes, false);
    if (!local.ok())
      NAGARE_LOG(warning, "task") << chain_->info().task_name
                                  << ": cannot keep a local copy of checkpoint " << id << ": "
                                  << local.message();
  }
  // Downstream may snapshot as soon as it has the barrier: this task's part
  // is fixed now. The upload happens in the background.
  // (A task that has sent end-of-stream sends no barrier after it.)
  if (phase_ == phase::running) enqueue_all(item{nullptr, id});
  checkpoint_ack ack;
  ack.bytes = bytes->size();
  ack.alignment_us = chain_->is_source() ? 0 : alignment_us;
  ack.sync_us = micros_since(started);
  ack.finished = finished;
  ack.state_keys = chain_->state_keys();
  auto task = setup_.task_index;
  auto master = setup_.master;
  request(setup_.store, store_timeout, store_atom::value, setup_.job_id, id, task, *bytes)
      .then(
          [this, master, task, id, ack](std::string& error) {
            if (!error.empty())
              send(master, decline_atom::value, task, id, "cannot store snapshot: " + error);
            else
              send(master, ack_atom::value, task, id, ack);
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
  // (a fallback to an older one reads the checkpoint store's).
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

void task_actor::restore(caf::typed_response_promise<std::string> rp) {
  const auto& spec = setup_.restore;
  const auto& mine = chain_->state_keys();
  // The earlier tasks that ran any of this chain's operators.
  std::vector<uint32_t> needed;
  for (const auto& t : spec.tasks)
    for (const auto& key : t.state_keys)
      if (std::find(mine.begin(), mine.end(), key) != mine.end()) {
        needed.push_back(t.task);
        break;
      }
  if (spec.checkpoint == 0 || needed.empty()) {
    auto st = apply_restore({});
    rp.deliver(st.ok() ? std::string{} : st.message());
    return;
  }
  struct pending {
    size_t left = 0;
    std::vector<std::pair<uint32_t, std::string>> snapshots;
    std::string error;
    caf::typed_response_promise<std::string> rp;
  };
  auto p = std::make_shared<pending>();
  p->left = needed.size();
  p->rp = rp;
  auto done = [this, p] {
    if (--p->left > 0) return;
    if (!p->error.empty()) {
      p->rp.deliver(p->error);
      return;
    }
    auto st = apply_restore(p->snapshots);
    p->rp.deliver(st.ok() ? std::string{} : st.message());
  };
  for (auto t : needed) {
    // A copy on this node is as good as the store's, when it is intact.
    if (setup_.local_store) {
      auto local = setup_.local_store->snapshot(spec.job_id, spec.checkpoint, t);
      if (local.ok() && decode_snapshots(local.value()).ok()) {
        p->snapshots.emplace_back(t, std::move(local.value()));
        done();
        continue;
      }
    }
    request(setup_.store, store_timeout, load_atom::value, spec.job_id, spec.checkpoint, t)
        .then(
            [p, t, done, cp = spec.checkpoint](std::string& error, std::string& bytes) {
              if (!error.empty() && p->error.empty())
                p->error = "checkpoint " + std::to_string(cp) + ", task " + std::to_string(t) +
                           ": " + error;
              else
                p->snapshots.emplace_back(t, std::move(bytes));
              done();
            },
            [this, p, t, done, cp = spec.checkpoint](caf::error& e) {
              if (p->error.empty())
                p->error = "cannot load checkpoint " + std::to_string(cp) + ", task " +
                           std::to_string(t) + ": " + system().render(e);
              done();
            });
  }
}

status task_actor::apply_restore(const std::vector<std::pair<uint32_t, std::string>>& snapshots) {
  const auto& spec = setup_.restore;
  const auto& mine = chain_->state_keys();
  // Decode every earlier task's snapshots, in task order (= subtask order).
  std::map<uint32_t, std::vector<detail::operator_snapshot>> decoded;
  for (const auto& [task, bytes] : snapshots) {
    auto d = decode_snapshots(bytes);
    if (!d.ok())
      return status(d.error().code(), "checkpoint " + std::to_string(spec.checkpoint) + ", task " +
                                          std::to_string(task) + ": " + d.error().message());
    decoded.emplace(task, std::move(d.value()));
  }
  std::vector<std::vector<detail::operator_snapshot>> per_operator(mine.size());
  bool all_finished = !decoded.empty();
  for (const auto& t : spec.tasks) {
    auto d = decoded.find(t.task);
    if (d == decoded.end()) continue;
    if (d->second.size() != t.state_keys.size())
      return status(errc::io_error, "checkpoint " + std::to_string(spec.checkpoint) + ", task " +
                                        std::to_string(t.task) + ": snapshot of " +
                                        std::to_string(d->second.size()) + " operators, expected " +
                                        std::to_string(t.state_keys.size()));
    all_finished = all_finished && t.finished;
    for (size_t j = 0; j < t.state_keys.size(); ++j)
      for (size_t i = 0; i < mine.size(); ++i)
        if (mine[i] == t.state_keys[j]) per_operator[i].push_back(std::move(d->second[j]));
  }
  status restored;
  if (!guarded([&] { restored = chain_->restore(per_operator); }))
    return status(errc::user_error, "restoring " + chain_->info().task_name + " failed");
  if (!restored.ok()) return restored;
  last_checkpoint_ = spec.checkpoint;
  restored_finished_ = all_finished;
  return {};
}

}  // namespace nagare
