#include "render.hpp"

#include <algorithm>
#include <utility>

#include "../table.hpp"

namespace nagare::cli::shell {

namespace {

std::string num(uint64_t n) { return std::to_string(n); }

// An event time in ms, or what the extremes mean for a task's watermark.
std::string watermark_text(int64_t wm, bool idle) {
  std::string text = wm == min_timestamp   ? "none yet"
                     : wm == max_timestamp ? "end of input"
                                           : std::to_string(wm) + " ms";
  return idle ? text + " (idle)" : text;
}

// "key  value" lines, the values starting in one column.
std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& f : fields) width = std::max(width, f.first.size());
  std::string out;
  for (const auto& [key, value] : fields)
    out += key + std::string(width - key.size() + 2, ' ') + value + '\n';
  return out;
}

}  // namespace

std::string render_nodes(const std::vector<node_info>& nodes) {
  if (nodes.empty()) return "no nodes have registered\n";
  table t({"ID", "NAME", "ADDRESS", "SLOTS", "STATE", "UPTIME"});
  for (const auto& n : nodes)
    t.add({num(n.id), n.name, n.address, num(n.slots_used) + "/" + num(n.slots_total),
           to_string(n.state), format_duration(n.uptime_s)});
  return t.render();
}

std::string render_jobs(const std::vector<job_info>& jobs, double now_unix_s) {
  if (jobs.empty()) return "no jobs\n";
  table t({"ID", "NAME", "STATE", "PARALLELISM", "UPTIME", "IN", "OUT", "CHECKPOINT", "REASON"});
  t.align_right(5).align_right(6);
  for (const auto& j : jobs) {
    const auto& p = j.progress;
    std::string checkpoint = "-";
    if (p.last_checkpoint > 0)
      checkpoint = num(p.last_checkpoint) + " (" +
                   format_duration(std::max(0.0, now_unix_s - p.last_checkpoint_unix_s)) + " ago)";
    t.add({num(j.id), j.name, to_string(j.state), num(j.parallelism), format_duration(j.uptime_s),
           p.measured ? format_rate(p.records_in_per_s) : "-",
           p.measured ? format_rate(p.records_out_per_s) : "-", checkpoint, j.reason});
  }
  return t.render();
}

std::string render_actors(const std::vector<task_info>& tasks) {
  if (tasks.empty()) return "the job has no task actors\n";
  table t({"ID", "CHAIN", "SUBTASK", "NODE", "STATE", "RECORDS IN", "RECORDS OUT", "QUEUED"});
  for (const auto& a : tasks)
    t.add({a.id, a.chain, num(a.subtask), a.node, to_string(a.state), num(a.stats.records_in),
           num(a.stats.records_out), num(a.queued_batches)});
  return t.render();
}

std::string render_task(const task_info& task) {
  std::string out = render_fields({
      {"actor", task.id},
      {"chain", task.chain},
      {"subtask", num(task.subtask) + " of " + num(task.parallelism)},
      {"node", task.node},
      {"state", to_string(task.state)},
      {"records in", num(task.stats.records_in)},
      {"records out", num(task.stats.records_out)},
      {"batches in", num(task.stats.batches_in)},
      {"batches out", num(task.stats.batches_out)},
      {"queued batches", num(task.queued_batches) + " (input waiting + output without credit)"},
      {"state entries", num(task.state_entries)},
      {"state size", format_bytes(task.state_bytes)},
      {"dead letters", num(task.dead_letters)},
      {"watermark", watermark_text(task.watermark, task.idle)},
      {"output channels", num(task.credits.size())},
      {"input channels", num(task.input_queues.size())},
  });
  if (!task.credits.empty()) {
    table t({"OUTPUT", "CREDITS"});
    for (size_t i = 0; i < task.credits.size(); ++i) t.add({num(i), num(task.credits[i])});
    out += '\n' + t.render();
  }
  if (!task.input_queues.empty()) {
    table t({"INPUT", "QUEUED"});
    for (size_t i = 0; i < task.input_queues.size(); ++i)
      t.add({num(i), num(task.input_queues[i])});
    out += '\n' + t.render();
  }
  return out;
}

std::string render_checkpoints(const std::vector<checkpoint_info>& checkpoints) {
  if (checkpoints.empty()) return "no checkpoints\n";
  table t({"ID", "KIND", "STATUS", "STARTED", "DURATION", "SIZE", "ALIGNMENT", "REASON"});
  t.align_right(4).align_right(5).align_right(6);
  for (const auto& c : checkpoints)
    t.add({num(c.id), to_string(c.kind), to_string(c.status),
           format_local_time(c.started_unix_s, false), format_ms(c.duration_ms),
           format_bytes(c.bytes), format_ms(c.alignment_ms), c.reason});
  return t.render();
}

std::string render_checkpoint(uint64_t job, const checkpoint_info& c) {
  size_t acked = 0;
  for (const auto& task : c.tasks) acked += task.acknowledged ? 1 : 0;
  std::vector<std::pair<std::string, std::string>> fields = {
      {"checkpoint", num(c.id) + " of job " + num(job)},
      {"kind", to_string(c.kind)},
      {"status", to_string(c.status)},
      {"started", format_local_time(c.started_unix_s, true)},
      {"duration", format_ms(c.duration_ms)},
      {"size", format_bytes(c.bytes) + " (" + num(c.bytes) + " bytes)"},
      {"alignment", format_ms(c.alignment_ms) + " (the longest of any task)"},
      {"acknowledged", num(acked) + " of " + num(c.tasks.size()) + " tasks"},
  };
  if (!c.reason.empty()) fields.push_back({"reason", c.reason});
  std::string out = render_fields(fields);
  if (!c.tasks.empty()) {
    table t(
        {"TASK", "CHAIN", "SUBTASK", "ACKED", "SIZE", "ALIGNMENT", "SYNC", "ASYNC", "DURATION"});
    t.align_right(4).align_right(5).align_right(6).align_right(7).align_right(8);
    for (const auto& task : c.tasks)
      t.add({num(job) + "." + num(task.task), task.chain, num(task.subtask),
             task.acknowledged ? "yes" : "no", format_bytes(task.bytes),
             format_ms(task.alignment_ms), format_ms(task.sync_ms), format_ms(task.async_ms),
             format_ms(task.duration_ms)});
    out += '\n' + t.render();
  }
  return out;
}

std::string render_checkpoint_result(uint64_t job, const checkpoint_info& c) {
  auto head = "checkpoint " + num(c.id) + " of job " + num(job) + " " + to_string(c.status);
  if (c.status == checkpoint_status::completed)
    return head + " in " + format_ms(c.duration_ms) + ", " + format_bytes(c.bytes) + "\n";
  return head + " after " + format_ms(c.duration_ms) + (c.reason.empty() ? "" : ": " + c.reason) +
         "\n";
}

std::string render_restarts(const std::vector<restart_info>& restarts) {
  if (restarts.empty()) return "no restarts\n";
  table t({"ATTEMPT", "WHEN", "CHECKPOINT", "DOWNTIME", "OUTCOME", "REASON"});
  t.align_right(2).align_right(3);
  for (const auto& r : restarts)
    t.add({num(r.attempt), format_local_time(r.at_unix_s, true),
           r.restored_checkpoint == 0 ? "none" : num(r.restored_checkpoint),
           r.outcome == restart_outcome::restarting ? "-" : format_ms(r.downtime_ms),
           to_string(r.outcome), r.reason});
  return t.render();
}

std::string render_savepoints(const std::vector<checkpoint_record>& savepoints) {
  if (savepoints.empty()) return "no savepoints\n";
  table t({"ID", "JOB", "COMPLETED", "SIZE", "TASKS"});
  t.align_right(1).align_right(3).align_right(4);
  for (const auto& s : savepoints)
    t.add({num(s.job_id) + "-" + num(s.id), num(s.job_id),
           format_local_time(static_cast<double>(s.completed_ms) / 1000.0, true),
           format_bytes(s.bytes), num(s.tasks.size())});
  return t.render();
}

}  // namespace nagare::cli::shell
