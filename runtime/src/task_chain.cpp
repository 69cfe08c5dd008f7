#include "task_chain.hpp"

#include "metrics/metric_registry.hpp"

namespace nagare {

result<std::unique_ptr<task_chain>> task_chain::build(const detail::graph& g,
                                                      const physical_plan& p, uint32_t v,
                                                      uint32_t subtask,
                                                      detail::batch_emitter* emitter,
                                                      const chain_options& opts) {
  if (v >= p.vertices.size() || subtask >= p.vertices[v].parallelism)
    return status(errc::internal,
                  "no task " + std::to_string(v) + "/" + std::to_string(subtask) + " in the plan");
  const auto& vx = p.vertices[v];
  auto chain = std::make_unique<task_chain>();
  chain->info_.task_name =
      vx.name + " (" + std::to_string(subtask + 1) + "/" + std::to_string(vx.parallelism) + ")";
  chain->info_.subtask = subtask;
  chain->info_.job_name = opts.job_name;
  chain->info_.job_id = opts.job_id;
  chain->info_.parallelism = vx.parallelism;
  chain->info_.max_parallelism = p.max_parallelism;
  chain->info_.batch_records = opts.batch_records;
  chain->info_.restored_checkpoint = opts.restored_checkpoint;
  chain->info_.attempt = opts.attempt;
  chain->info_.restored_own = opts.restored_own;
  chain->info_.state = opts.state;
  chain->info_.waker = opts.waker;
  chain->metrics_registry_ = opts.metrics;
  chain->task_name_ = vx.name;

  auto& ops = chain->operators_;
  for (auto id : vx.nodes) {
    if (id >= g.nodes.size()) return status(errc::internal, "plan names an unknown operator");
    ops.push_back(detail::to_unique(g.nodes[id].make_operator()));
    chain->nodes_.push_back(id);
    chain->names_.push_back(g.nodes[id].name);
    chain->state_keys_.push_back(g.nodes[id].uid.empty() ? "#" + std::to_string(id)
                                                         : g.nodes[id].uid);
  }
  for (size_t i = 0; i + 1 < ops.size(); ++i) ops[i]->connect(ops[i + 1]->input());
  const auto& head = g.nodes[vx.nodes.front()];
  if (head.is_source()) {
    chain->source_ = static_cast<detail::source_instance*>(ops.front().get());
  } else {
    for (size_t gate = 0; gate < p.inputs_of(v).size(); ++gate) {
      auto r = head.make_reader();
      r->connect(ops.front()->input());
      chain->readers_.push_back(detail::to_unique(std::move(r)));
    }
  }

  // The tail routes into one writer per output exchange (through a tee when several).
  auto outputs = p.outputs_of(v);
  auto offsets = p.output_offsets(v);
  detail::operator_instance* tail = ops.back().get();
  if (outputs.size() > 1) {
    ops.push_back(detail::to_unique(g.nodes[vx.nodes.back()].make_tee()));
    tail->connect(ops.back()->input());
    tail = ops.back().get();
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& e = outputs[i];
    const auto& target_head = g.nodes[p.vertices[e.target].nodes.front()];
    detail::writer_config cfg;
    cfg.kind = e.kind;
    cfg.emitter = emitter;
    cfg.first_channel = offsets[i];
    cfg.channels = e.kind == detail::partition::forward ? 1 : p.vertices[e.target].parallelism;
    cfg.max_parallelism = p.max_parallelism;
    cfg.batch_records = opts.batch_records;
    cfg.subtask = subtask;
    auto w = target_head.inputs[e.gate].make_writer(cfg);
    tail->connect(w->input());
    chain->writers_.push_back(w.get());
    ops.push_back(detail::to_unique(std::move(w)));
  }
  return chain;
}

status task_chain::open() {
  opened_ = 0;
  for (size_t i = 0; i < operators_.size(); ++i) {
    auto& op = operators_[i];
    // The job's operators get a metric group each; the tee and the writers
    // the runtime adds do not.
    auto info = info_;
    if (i < names_.size()) info.metrics = operator_metrics(i);
    auto st = op->open(info);
    if (!st.ok()) return st;
    ++opened_;
  }
  return {};
}

std::shared_ptr<metric_group> task_chain::operator_metrics(size_t i) {
  if (!metrics_registry_) return std::make_shared<metric_group>();
  auto g = metrics_registry_->group({{"job", info_.job_name},
                                     {"job_id", std::to_string(info_.job_id)},
                                     {"task", task_name_},
                                     {"subtask", std::to_string(info_.subtask)},
                                     {"operator", names_[i]},
                                     {"operator_index", std::to_string(i)}});
  metric_groups_.push_back(g);
  return g;
}

void task_chain::flush() {
  for (auto* w : writers_) w->flush();
}

bool task_chain::advance_watermark(int64_t wm, size_t max_timers) {
  if (wm <= watermark_) return false;
  watermark_ = wm;
  watermark_pending_ = true;
  watermark_next_ = 0;
  resume_watermark(max_timers);
  return true;
}

void task_chain::resume_watermark(size_t max_timers) {
  for (; watermark_next_ < operators_.size(); ++watermark_next_)
    if (!operators_[watermark_next_]->on_watermark(watermark_, max_timers)) return;
  watermark_pending_ = false;
  flush();
}

void task_chain::advance_processing_time(int64_t now) {
  if (now < processing_time_) now = processing_time_;
  processing_time_ = now;
  for (auto& op : operators_) op->on_processing_time(now);
}

bool task_chain::wants_processing_time() const {
  for (const auto& op : operators_)
    if (op->wants_processing_time()) return true;
  return false;
}

bool task_chain::input_blocked() const {
  for (size_t i = 0; i < opened_; ++i)
    if (operators_[i]->input_blocked()) return true;
  return false;
}

bool task_chain::async_pending() const {
  for (size_t i = 0; i < opened_; ++i)
    if (operators_[i]->async_pending()) return true;
  return false;
}

void task_chain::async_step(int64_t now) {
  if (now < processing_time_) now = processing_time_;
  for (size_t i = 0; i < opened_; ++i) operators_[i]->async_step(now);
}

void task_chain::finish() {
  for (auto& op : operators_) op->finish();
}

status task_chain::prepare_checkpoint(uint64_t id) {
  flush();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto st = operators_[i]->prepare_checkpoint(id);
    if (!st.ok())
      return status(st.code(), "operator '" + names_[i] + "' of " + info_.task_name +
                                   " cannot prepare checkpoint " + std::to_string(id) + ": " +
                                   st.message());
  }
  return {};
}

status task_chain::checkpoint_complete(uint64_t id) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto st = operators_[i]->checkpoint_complete(id);
    if (!st.ok())
      return status(st.code(), "operator '" + names_[i] + "' of " + info_.task_name +
                                   " cannot complete checkpoint " + std::to_string(id) + ": " +
                                   st.message());
  }
  return {};
}

uint64_t task_chain::state_entries() const {
  // An operator that is not open has no state backend yet (a keyed one would
  // dereference a null backend): a task is asked for its status (shell
  // `actors`) from the moment it is deployed, before its connect opens it.
  uint64_t n = 0;
  for (size_t i = 0; i < opened_; ++i) n += operators_[i]->state_entries();
  return n;
}

uint64_t task_chain::state_bytes() const {
  uint64_t n = 0;
  for (size_t i = 0; i < opened_; ++i) n += operators_[i]->state_bytes();
  return n;
}

uint64_t task_chain::late_records() const {
  uint64_t n = 0;
  for (size_t i = 0; i < opened_; ++i) n += operators_[i]->late_records();
  return n;
}

std::vector<detail::operator_snapshot> task_chain::snapshot(snapshot_encoder* encoder) const {
  std::vector<detail::operator_snapshot> out(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (encoder) out[i].stream = encoder->writer(i);
    operators_[i]->snapshot(out[i]);
    out[i].stream = nullptr;
  }
  return out;
}

status task_chain::restore(
    const std::vector<std::vector<detail::operator_snapshot>>& per_operator) {
  if (per_operator.size() != nodes_.size())
    return status::invalid_argument("cannot restore " + info_.task_name + ": the snapshot has " +
                                    std::to_string(per_operator.size()) + " operators, the chain " +
                                    std::to_string(nodes_.size()));
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto st = operators_[i]->restore(per_operator[i], info_);
    if (!st.ok())
      return status(st.code(), "cannot restore operator '" + names_[i] + "' of " + info_.task_name +
                                   ": " + st.message());
  }
  return {};
}

status task_chain::close() {
  status first;
  for (auto& op : operators_) {
    auto st = op->close();
    if (first.ok() && !st.ok()) first = st;
  }
  return first;
}

}  // namespace nagare
