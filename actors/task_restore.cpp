// The task's side of a (re)start: restoring its chain's state, whole
// incremental chains, from a checkpoint. restore_loader decides what to load
// and from where; the actor sends its fetches to the checkpoint store and
// hands the assembled snapshots to the operators. See task.hpp.
#include "nagare/hash.hpp"
#include "restore_assembly.hpp"
#include "task.hpp"

namespace nagare {

namespace {

constexpr auto store_timeout = std::chrono::seconds(60);

}  // namespace

void task_actor::restore(caf::typed_response_promise<status, damaged_snapshot> rp) {
  const auto& spec = setup_.restore;
  const auto& info = chain_->info();
  lineage_ = snapshot_lineage(chain_->state_keys());
  auto groups = key_groups_of(info.subtask, info.max_parallelism, info.parallelism);
  auto r = std::make_shared<restore_loader>(
      restore_assembly(spec.checkpoint, spec.tasks, chain_->state_keys(), groups.first,
                       groups.last),
      setup_.local_store, spec.job_id, info.state.directory, info.task_name);
  send_fetches(r, rp, r->start());
}

void task_actor::send_fetches(const std::shared_ptr<restore_loader>& r,
                              caf::typed_response_promise<status, damaged_snapshot> rp,
                              const std::vector<restore_loader::fetch>& fetches) {
  for (const auto& f : fetches)
    request(setup_.store, store_timeout, load_atom::value, setup_.restore.job_id, f.checkpoint,
            f.task, f.chunk)
        .then(
            [this, r, rp, f](status& error, uint32_t chunks, std::string& bytes) {
              send_fetches(r, rp, r->chunk_arrived(f, error, chunks, bytes));
            },
            [this, r, rp, f](caf::error& e) {
              // Not damage (not errc::corruption): the next attempt tries the
              // same checkpoint again.
              auto why =
                  status::io_error("cannot load checkpoint " + std::to_string(f.checkpoint) +
                                   ", task " + std::to_string(f.task) + ": " + system().render(e));
              send_fetches(r, rp, r->fetch_failed(f, why));
            });
  auto outcome = r->take_outcome();
  if (!outcome) return;
  if (!outcome->ok()) {
    damaged_snapshot where;
    auto at = r->assembly().damaged();
    if (outcome->code() == errc::corruption && at) where = {at->checkpoint, at->task};
    rp.deliver(*outcome, where);
    return;
  }
  rp.deliver(apply_restore(r->assembly()), damaged_snapshot{});
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
