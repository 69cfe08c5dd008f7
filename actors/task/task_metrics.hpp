// A task's built-in metrics, exported by its process (/metrics): the figures
// the task reports to the shell and the REST API (task_info), copied into a
// metric group once a second and when the task ends, so the data path pays
// nothing for them.
//
//   nagare_task_records_in_total, _records_out_total, _batches_in_total,
//   _batches_out_total, _bytes_in_total (network bytes received),
//   _busy_seconds_total, _backpressured_seconds_total, _dead_letters_total,
//   _late_records_total; gauges _queued_batches, _state_entries,
//   _state_bytes (label backend: the bytes its state backend measures,
//   keyed_backend::state_bytes),
//   _watermark_milliseconds, _watermark_lag_seconds (wall clock minus the
//   watermark, refreshed every second), _idle (1: the task holds back no
//   watermark); per channel (label channel) _output_credit and
//   _input_queued_batches.
//
// Not thread-safe: publish() from the task's thread; the registry reads.
#pragma once

#include <memory>
#include <vector>

#include "messages.hpp"
#include "metrics/metric_registry.hpp"

namespace nagare {

class task_metrics {
 public:
  // Labels: job, job_id, task (the vertex's name), vertex, subtask; the job's
  // state backend ("memory", "leveldb") labels the state's size.
  task_metrics(metric_registry& registry, const metric_group::labels& labels,
               const std::string& state_backend);

  // Copies `info`: counters advance to its totals, gauges take its values.
  void publish(const task_info& info);

 private:
  struct channel {
    std::shared_ptr<metric_group> group;
    gauge* value = nullptr;
  };
  void publish_channels(std::vector<channel>& channels, const char* name, const char* help,
                        const std::vector<uint32_t>& values);
  static void advance(counter& c, uint64_t total) {
    if (total > c.value()) c.inc(total - c.value());
  }

  metric_registry& registry_;
  metric_group::labels labels_;
  std::shared_ptr<metric_group> group_;
  counter &records_in_, &records_out_, &batches_in_, &batches_out_, &bytes_in_;
  counter &busy_ns_, &backpressured_ns_, &dead_letters_, &late_records_;
  gauge &queued_batches_, &state_entries_, &state_bytes_, &watermark_ms_, &watermark_lag_s_, &idle_;
  std::vector<channel> credits_, input_queues_;
};

}  // namespace nagare
