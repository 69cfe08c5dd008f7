#include "job_rates.hpp"

#include <algorithm>

namespace nagare {

namespace {

// The dense task indices of each vertex (vertex-major, as the plan numbers them).
std::vector<uint32_t> first_task_of(const job_graph& g) {
  std::vector<uint32_t> first;
  uint32_t next = 0;
  for (const auto& v : g.vertices) {
    first.push_back(next);
    next += v.parallelism;
  }
  first.push_back(next);
  return first;
}

double per_s(uint64_t now, uint64_t before, double dt) {
  return dt > 0 && now >= before ? static_cast<double>(now - before) / dt : 0;
}

}  // namespace

job_sample rates_between(const job_graph& graph, const std::vector<task_info>& before,
                         const std::vector<task_info>& now, double dt_s, double now_unix_s) {
  job_sample s;
  s.t_unix_s = now_unix_s;
  const double dt_ns = dt_s * 1e9;
  for (size_t i = 0; i < now.size(); ++i) {
    const auto& a = now[i].stats;
    task_stats b = i < before.size() ? before[i].stats : task_stats{};
    task_rates r;
    r.records_in_per_s = per_s(a.records_in, b.records_in, dt_s);
    r.records_out_per_s = per_s(a.records_out, b.records_out, dt_s);
    if (dt_ns > 0) {
      r.busy_ratio = std::clamp(
          static_cast<double>(a.busy_ns - std::min(a.busy_ns, b.busy_ns)) / dt_ns, 0.0, 1.0);
      r.backpressured_ratio =
          std::clamp(static_cast<double>(a.backpressured_ns -
                                         std::min(a.backpressured_ns, b.backpressured_ns)) /
                         dt_ns,
                     0.0, 1.0);
    }
    r.idle_ratio = std::max(0.0, 1.0 - r.busy_ratio - r.backpressured_ratio);
    int64_t wm = now[i].watermark;
    if (wm != min_timestamp && wm != max_timestamp)
      r.watermark_lag_ms = now_unix_s * 1000.0 - static_cast<double>(wm);
    s.tasks.push_back(r);
  }
  auto first = first_task_of(graph);
  for (size_t v = 0; v < graph.vertices.size(); ++v) {
    task_rates agg;
    agg.idle_ratio = 0;
    bool any = false, all_have_lag = true;
    for (uint32_t t = first[v]; t < first[v + 1] && t < s.tasks.size(); ++t) {
      const auto& r = s.tasks[t];
      agg.records_in_per_s += r.records_in_per_s;
      agg.records_out_per_s += r.records_out_per_s;
      agg.busy_ratio = std::max(agg.busy_ratio, r.busy_ratio);
      agg.backpressured_ratio = std::max(agg.backpressured_ratio, r.backpressured_ratio);
      agg.idle_ratio = any ? std::min(agg.idle_ratio, r.idle_ratio) : r.idle_ratio;
      if (!r.watermark_lag_ms)
        all_have_lag = false;
      else
        agg.watermark_lag_ms = std::max(agg.watermark_lag_ms.value_or(0), *r.watermark_lag_ms);
      any = true;
    }
    if (!any) agg.idle_ratio = 1;
    // A vertex's watermark is its slowest subtask's: one without any holds it back.
    if (!all_have_lag) agg.watermark_lag_ms.reset();
    s.vertices.push_back(agg);
  }
  return s;
}

job_throughput throughput_of(const job_graph& graph, const job_sample& sample) {
  job_throughput t;
  bool all_lag = true;
  for (const auto& v : graph.vertices) {
    if (v.id >= sample.vertices.size()) continue;
    bool sink = true;
    for (const auto& e : graph.edges) sink = sink && e.source != v.id;
    const auto& r = sample.vertices[v.id];
    if (v.is_source) t.in_per_s += r.records_out_per_s;
    if (!sink) continue;
    t.out_per_s += r.records_in_per_s;
    if (r.watermark_lag_ms)
      t.watermark_lag_ms = std::max(t.watermark_lag_ms.value_or(0), *r.watermark_lag_ms);
    else
      all_lag = false;
  }
  if (!all_lag) t.watermark_lag_ms.reset();
  return t;
}

job_graph graph_of(const physical_plan& p) {
  job_graph g;
  for (const auto& v : p.vertices) g.vertices.push_back({v.id, v.name, v.parallelism, v.is_source});
  for (const auto& e : p.exchanges) {
    const char* kind = e.kind == detail::partition::keyed       ? "HASH"
                       : e.kind == detail::partition::rebalance ? "REBALANCE"
                                                                : "FORWARD";
    g.edges.push_back({e.source, e.target, kind});
  }
  return g;
}

}  // namespace nagare
