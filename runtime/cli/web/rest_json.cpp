#include "rest_json.hpp"

#include <algorithm>

#include "states.hpp"

namespace nagare::cli::web {

namespace {

void optional_number(json_writer& w, const std::optional<double>& v) {
  if (v)
    w.number(*v);
  else
    w.null();
}

// The figures of one task, or of a vertex (summed over its tasks), with rates.
struct figures {
  uint64_t records_in = 0, records_out = 0, bytes_in = 0, queued_batches = 0;
  uint64_t dead_letters = 0, late_records = 0, state_entries = 0, state_bytes = 0;
  std::optional<int64_t> watermark;  // the lowest; nullopt: some task has none
  bool any = false;

  void add(const task_info& t) {
    records_in += t.stats.records_in;
    records_out += t.stats.records_out;
    bytes_in += t.stats.bytes_in;
    queued_batches += t.queued_batches;
    dead_letters += std::max(t.dead_letters, t.stats.dead_letters);
    late_records += t.stats.late_records;
    state_entries += t.state_entries;
    state_bytes += t.state_bytes;
    bool has = t.watermark != min_timestamp && t.watermark != max_timestamp;
    if (!any)
      watermark = has ? std::optional<int64_t>(t.watermark) : std::nullopt;
    else if (!has)
      watermark.reset();
    else if (watermark)
      watermark = std::min(*watermark, t.watermark);
    any = true;
  }
};

void write_figures(json_writer& w, const figures& f, const task_rates* r) {
  w.begin_object();
  w.key("records_in").uint64(f.records_in);
  w.key("records_out").uint64(f.records_out);
  w.key("bytes_in").uint64(f.bytes_in);
  w.key("records_in_per_s").number(r ? r->records_in_per_s : 0);
  w.key("records_out_per_s").number(r ? r->records_out_per_s : 0);
  w.key("busy_ratio").number(r ? r->busy_ratio : 0);
  w.key("idle_ratio").number(r ? r->idle_ratio : 1);
  w.key("backpressured_ratio").number(r ? r->backpressured_ratio : 0);
  w.key("queued_batches").uint64(f.queued_batches);
  w.key("watermark");
  if (f.watermark)
    w.int64(*f.watermark);
  else
    w.null();
  w.key("watermark_lag_ms");
  optional_number(w, r ? r->watermark_lag_ms : std::nullopt);
  w.key("dead_letters").uint64(f.dead_letters);
  w.key("late_records").uint64(f.late_records);
  w.key("state_entries").uint64(f.state_entries);
  w.key("state_bytes").uint64(f.state_bytes);
  w.end_object();
}

void write_job_fields(json_writer& w, const job_info& j) {
  w.key("id").uint64(j.id);
  w.key("name").string(j.name);
  w.key("state").string(to_string(j.state));
  w.key("start_unix_s");
  if (j.submitted_unix_s > 0)
    w.number(j.submitted_unix_s);
  else
    w.null();
  w.key("duration_s").number(j.uptime_s);
  w.key("parallelism").uint64(j.parallelism);
  w.key("reason").string(j.reason);
}

}  // namespace

std::string overview_json(const overview_facts& facts, const std::vector<node_info>& nodes,
                          const std::vector<job_info>& jobs) {
  uint64_t alive = 0, slots_total = 0, slots_used = 0;
  for (const auto& n : nodes) {
    if (n.state != node_state::alive) continue;
    ++alive;
    slots_total += n.slots_total;
    slots_used += n.slots_used;
  }
  uint64_t running = 0, finished = 0, canceled = 0, failed = 0, stopped = 0;
  for (const auto& j : jobs) {
    switch (j.state) {
      case job_state::running:
        ++running;
        break;
      case job_state::finished:
        ++finished;
        break;
      case job_state::canceled:
        ++canceled;
        break;
      case job_state::failed:
        ++failed;
        break;
      case job_state::stopped:
        ++stopped;
        break;
      default:
        break;
    }
  }
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.key("version").string(facts.version);
  w.key("uptime_s").number(facts.uptime_s);
  w.key("nodes").uint64(alive);
  w.key("nodes_lost").uint64(nodes.size() - alive);
  w.key("slots_total").uint64(slots_total);
  w.key("slots_used").uint64(slots_used);
  w.key("jobs").begin_object();
  w.key("running").uint64(running);
  w.key("finished").uint64(finished);
  w.key("canceled").uint64(canceled);
  w.key("failed").uint64(failed);
  w.key("stopped").uint64(stopped);
  w.end_object();
  w.key("actions_allowed").boolean(facts.actions_allowed);
  w.end_object();
  return out;
}

void write_node(json_writer& w, const node_info& n, std::optional<double> cpu_ratio) {
  w.begin_object();
  w.key("id").uint64(n.id);
  w.key("name").string(n.name);
  w.key("address").string(n.address);
  w.key("state").string(to_string(n.state));
  w.key("slots_used").uint64(n.slots_used);
  w.key("slots_total").uint64(n.slots_total);
  w.key("uptime_s").number(n.uptime_s);
  w.key("cpu_ratio");
  optional_number(w, n.usage.known ? cpu_ratio : std::nullopt);
  w.key("cpu_seconds");
  optional_number(w, n.usage.known ? std::optional<double>(n.usage.cpu_seconds) : std::nullopt);
  w.key("rss_bytes");
  if (n.usage.known)
    w.uint64(n.usage.rss_bytes);
  else
    w.null();
  w.key("open_files");
  if (n.usage.known)
    w.uint64(n.usage.open_files);
  else
    w.null();
  w.key("threads");
  if (n.usage.known)
    w.uint64(n.usage.threads);
  else
    w.null();
  w.key("metrics_address").string(n.usage.metrics_address);
  w.end_object();
}

std::string jobs_json(const std::vector<job_info>& jobs) {
  std::string out;
  json_writer w(out);
  w.begin_object().key("jobs").begin_array();
  for (const auto& j : jobs) {
    w.begin_object();
    write_job_fields(w, j);
    w.end_object();
  }
  w.end_array().end_object();
  return out;
}

std::string job_json(const job_view& v) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  write_job_fields(w, v.job);
  w.key("restarts").uint64(v.restarts);
  w.key("restarting").boolean(v.restarting);
  w.key("vertices").begin_array();
  uint32_t first = 0;
  for (const auto& vx : v.graph.vertices) {
    figures total;
    for (uint32_t t = first; t < first + vx.parallelism && t < v.tasks.size(); ++t)
      total.add(v.tasks[t]);
    const task_rates* vr =
        v.rates && vx.id < v.rates->vertices.size() ? &v.rates->vertices[vx.id] : nullptr;
    w.begin_object();
    w.key("id").uint64(vx.id);
    w.key("name").string(vx.name);
    w.key("parallelism").uint64(vx.parallelism);
    w.key("is_source").boolean(vx.is_source);
    w.key("metrics");
    write_figures(w, total, vr);
    w.key("subtasks").begin_array();
    for (uint32_t t = first; t < first + vx.parallelism && t < v.tasks.size(); ++t) {
      const auto& task = v.tasks[t];
      figures one;
      one.add(task);
      const task_rates* tr = v.rates && t < v.rates->tasks.size() ? &v.rates->tasks[t] : nullptr;
      w.begin_object();
      w.key("subtask").uint64(task.subtask);
      w.key("id").string(task.id);
      w.key("node").string(task.node);
      w.key("state").string(to_string(task.state));
      w.key("metrics");
      write_figures(w, one, tr);
      w.end_object();
    }
    w.end_array();
    w.end_object();
    first += vx.parallelism;
  }
  w.end_array();
  w.key("edges").begin_array();
  for (const auto& e : v.graph.edges) {
    w.begin_object();
    w.key("source").uint64(e.source);
    w.key("target").uint64(e.target);
    w.key("partition").string(e.partition);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return out;
}

std::string history_json(const std::vector<job_sample>& samples, double interval_s) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.key("interval_s").number(interval_s);
  w.key("samples").begin_array();
  for (const auto& s : samples) {
    w.begin_object();
    w.key("t_unix_s").number(s.t_unix_s);
    w.key("vertices").begin_array();
    for (size_t v = 0; v < s.vertices.size(); ++v) {
      const auto& r = s.vertices[v];
      w.begin_object();
      w.key("id").uint64(v);
      w.key("records_in_per_s").number(r.records_in_per_s);
      w.key("records_out_per_s").number(r.records_out_per_s);
      w.key("busy_ratio").number(r.busy_ratio);
      w.key("backpressured_ratio").number(r.backpressured_ratio);
      w.key("watermark_lag_ms");
      optional_number(w, r.watermark_lag_ms);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return out;
}

void write_checkpoint(json_writer& w, const checkpoint_info& c, bool with_tasks) {
  w.begin_object();
  w.key("id").uint64(c.id);
  w.key("kind").string(to_string(c.kind));
  w.key("status").string(to_string(c.status));
  w.key("started_unix_s").number(c.started_unix_s);
  w.key("duration_ms").number(c.duration_ms);
  w.key("bytes").uint64(c.bytes);
  w.key("alignment_ms").number(c.alignment_ms);
  w.key("reason").string(c.reason);
  if (with_tasks) {
    w.key("tasks").begin_array();
    for (const auto& t : c.tasks) {
      w.begin_object();
      w.key("task").uint64(t.task);
      w.key("vertex_name").string(t.chain);
      w.key("subtask").uint64(t.subtask);
      w.key("acknowledged").boolean(t.acknowledged);
      w.key("bytes").uint64(t.bytes);
      w.key("alignment_ms").number(t.alignment_ms);
      w.key("sync_ms").number(t.sync_ms);
      w.key("async_ms").number(t.async_ms);
      w.key("duration_ms").number(t.duration_ms);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
}

std::string checkpoints_json(const std::vector<checkpoint_info>& history) {
  uint64_t completed = 0, failed = 0, in_progress = 0;
  const checkpoint_info* latest = nullptr;
  for (const auto& c : history) {
    if (c.status == checkpoint_status::completed) {
      ++completed;
      if (!latest || c.id > latest->id) latest = &c;
    } else if (c.status == checkpoint_status::failed) {
      ++failed;
    } else {
      ++in_progress;
    }
  }
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.key("counts").begin_object();
  w.key("completed").uint64(completed);
  w.key("failed").uint64(failed);
  w.key("in_progress").uint64(in_progress);
  w.end_object();
  w.key("latest_completed");
  if (latest)
    write_checkpoint(w, *latest, false);
  else
    w.null();
  w.key("history").begin_array();
  for (const auto& c : history) write_checkpoint(w, c, false);
  w.end_array();
  w.end_object();
  return out;
}

std::string restarts_json(const std::vector<restart_info>& restarts) {
  std::string out;
  json_writer w(out);
  w.begin_object().key("restarts").begin_array();
  for (const auto& r : restarts) {
    w.begin_object();
    w.key("attempt").uint64(r.attempt);
    w.key("at_unix_s").number(r.at_unix_s);
    w.key("reason").string(r.reason);
    w.key("restored_checkpoint").uint64(r.restored_checkpoint);
    w.key("downtime_ms").number(r.downtime_ms);
    w.key("outcome").string(to_string(r.outcome));
    w.end_object();
  }
  w.end_array().end_object();
  return out;
}

std::string savepoints_json(const std::vector<checkpoint_record>& savepoints,
                            const std::vector<job_info>& jobs) {
  std::string out;
  json_writer w(out);
  w.begin_object().key("savepoints").begin_array();
  for (const auto& s : savepoints) {
    auto job =
        std::find_if(jobs.begin(), jobs.end(), [&](const job_info& j) { return j.id == s.job_id; });
    w.begin_object();
    w.key("id").string(std::to_string(s.job_id) + "-" + std::to_string(s.id));
    w.key("job_id").uint64(s.job_id);
    w.key("job_name").string(job == jobs.end() ? "" : job->name);
    w.key("checkpoint_id").uint64(s.id);
    w.key("taken_unix_s").number(static_cast<double>(s.completed_ms) / 1000.0);
    w.key("bytes").uint64(s.bytes);
    w.key("tasks").uint64(s.tasks.size());
    w.end_object();
  }
  w.end_array().end_object();
  return out;
}

std::string prometheus_targets_json(const std::string& coordinator_address,
                                    const std::vector<node_info>& nodes) {
  std::string out;
  json_writer w(out);
  w.begin_array();
  auto group = [&](const std::string& target, const char* role, const std::string& node) {
    w.begin_object();
    w.key("targets").begin_array().string(target).end_array();
    w.key("labels").begin_object();
    w.key("nagare_role").string(role);
    if (!node.empty()) w.key("nagare_node").string(node);
    w.end_object();
    w.end_object();
  };
  group(coordinator_address, "coordinator", "");
  for (const auto& n : nodes)
    if (n.state == node_state::alive && !n.usage.metrics_address.empty())
      group(n.usage.metrics_address, "node", n.name);
  w.end_array();
  return out;
}

}  // namespace nagare::cli::web
