// A running job's throughput and last checkpoint, for `nagare list`: once a
// second the master reads its tasks (as the shell's `actors` does), turns
// two readings into rates (job_rates.hpp) and tells the coordinator, which
// keeps the latest with the job.
#include "job_master_state.hpp"
#include "job_rates.hpp"
#include "metrics/metric_registry.hpp"

namespace nagare {

namespace {

constexpr auto progress_interval = std::chrono::seconds(1);

void report(caf::event_based_actor* self, const master_ptr& st) {
  auto& p = st->progress;
  if (const auto* c = st->checkpoints->last_completed()) {
    p.last_checkpoint = c->id;
    p.last_checkpoint_unix_s = c->started_unix_s + c->duration_ms / 1000.0;
  }
  if (st->setup.coordinator)
    self->send(st->setup.coordinator, progress_atom::value, st->setup.job_id, p);
}

}  // namespace

void start_progress(caf::event_based_actor* self, const master_ptr& st) {
  st->graph = graph_of(st->setup.plan);
  self->delayed_send(self, progress_interval, progress_atom::value);
}

void on_progress_tick(caf::event_based_actor* self, const master_ptr& st) {
  if (st->over) return;
  self->delayed_send(self, progress_interval, progress_atom::value);
  std::vector<uint32_t> all(st->task_refs.size());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  query_tasks(self, st, all, [self, st](std::vector<task_info>& now) {
    double t = unix_now_s();
    auto& p = st->progress;
    if (!st->last_reading.empty() && t > st->last_reading_unix_s) {
      auto sample = rates_between(st->graph, st->last_reading, now, t - st->last_reading_unix_s, t);
      auto rates = throughput_of(st->graph, sample);
      p.measured = true;
      p.records_in_per_s = rates.in_per_s;
      p.records_out_per_s = rates.out_per_s;
    }
    st->last_reading = std::move(now);
    st->last_reading_unix_s = t;
    report(self, st);
  });
}

}  // namespace nagare
