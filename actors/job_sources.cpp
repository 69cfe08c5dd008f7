// The job master's split enumerators (runtime/src/source/): one per source
// vertex on the split contract, built from the plan (the coordinator loads
// no job code: the enumerator is data) at the start of every attempt and
// restored from the attempt's checkpoint. Its splits go to the vertex's
// subtasks through a split_assigner, as (splits_atom, splits, no_more), first
// right before the start message and then at every discovery interval.
//
// Exactly once: the master sends both split assignments and checkpoint
// triggers to the source tasks, and CAF keeps the order of one sender's
// messages, so a source task's snapshot of checkpoint n covers exactly the
// splits sent before trigger n; the enumerators are snapshotted when n is
// triggered (snapshot_sources), so the record of n knows the same splits. A
// restore re-deals every split the snapshot knows, in discovery order, and
// the readers start each at its restored position (or its start: a split
// sent after the trigger had no records in the checkpoint).
#include "job_master_state.hpp"
#include "log.hpp"

namespace nagare {

namespace {

// Discovers and sends the new splits of source `index`; a discovery error is
// logged and retried at the next interval.
void discover(caf::event_based_actor* self, const master_ptr& st, uint32_t index) {
  auto& src = st->sources[index];
  if (src.finished) return;
  const auto& v = st->setup.plan.vertices[src.vertex];
  auto found = src.enumerator->discover();
  std::vector<source_split> splits;
  if (found.ok())
    splits = std::move(found.value());
  else
    NAGARE_LOG(warning, st->log_name()) << "split discovery of source '" << v.name
                                        << "' failed (retried): " << found.error().message();
  bool no_more = found.ok() && src.enumerator->discovery_finished();
  bool first = !src.started;  // every subtask hears of its splits (even none) before it starts
  src.started = true;
  if (splits.empty() && !no_more && !first) return;
  auto dealt = src.assigner.assign(std::move(splits));
  for (uint32_t s = 0; s < v.parallelism; ++s) {
    auto& t = st->tasks[st->setup.plan.task_index(src.vertex, s)];
    if (t && (!dealt[s].empty() || no_more || first))
      self->send(t, splits_atom::value, std::move(dealt[s]), no_more);
  }
  src.finished = no_more;
}

void schedule(caf::event_based_actor* self, const master_ptr& st, uint32_t index) {
  const auto& src = st->sources[index];
  auto interval = st->setup.plan.vertices[src.vertex].enumerator->discovery_interval_ms;
  if (src.finished || interval == 0) return;
  self->delayed_send(self, std::chrono::milliseconds(interval), discover_atom::value, st->attempt,
                     index);
}

}  // namespace

status check_enumerators(const physical_plan& plan) {
  for (const auto& v : plan.vertices) {
    if (!v.enumerator) continue;
    auto made = make_split_enumerator(v.enumerator->kind, v.enumerator->config);
    if (!made.ok())
      return status(made.error().code(), "source '" + v.name + "': " + made.error().message());
  }
  return {};
}

status start_sources(caf::event_based_actor* self, const master_ptr& st) {
  st->sources.clear();
  const auto& plan = st->setup.plan;
  for (const auto& v : plan.vertices) {
    if (!v.enumerator) continue;
    auto made = make_split_enumerator(v.enumerator->kind, v.enumerator->config);
    if (!made.ok())
      return status(made.error().code(), "source '" + v.name + "': " + made.error().message());
    source_enumeration src;
    src.vertex = v.id;
    src.enumerator = std::move(made.value());
    src.assigner = split_assigner(v.parallelism);
    for (const auto& saved : st->restore.sources) {
      if (saved.key != v.enumerator_key) continue;
      auto restored = src.enumerator->restore(saved.snapshot);
      if (!restored.ok())
        return status(restored.code(), "source '" + v.name + "': " + restored.message());
    }
    st->sources.push_back(std::move(src));
  }
  for (uint32_t i = 0; i < st->sources.size(); ++i) {
    discover(self, st, i);
    schedule(self, st, i);
  }
  return {};
}

void on_discover(caf::event_based_actor* self, const master_ptr& st, uint32_t attempt,
                 uint32_t index) {
  if (st->over || attempt != st->attempt || index >= st->sources.size()) return;
  // While it restarts the next attempt's enumerators take over.
  if (st->now != master_state::phase::running) return;
  discover(self, st, index);
  schedule(self, st, index);
}

std::vector<stored_source> snapshot_sources(const master_state& st) {
  std::vector<stored_source> out;
  for (const auto& src : st.sources)
    out.push_back({st.setup.plan.vertices[src.vertex].enumerator_key, src.enumerator->snapshot()});
  return out;
}

}  // namespace nagare
