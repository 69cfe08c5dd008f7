#include "task/task_metrics.hpp"

#include <atomic>

namespace nagare {

task_metrics::task_metrics(metric_registry& registry, const metric_group::labels& labels,
                           const std::string& state_backend)
    : registry_(registry),
      labels_(labels),
      group_(registry.group(labels, "nagare_task_")),
      records_in_(group_->counter("records_in", "Records the task took in (a source: produced)")),
      records_out_(group_->counter("records_out", "Records the task sent downstream")),
      batches_in_(group_->counter("batches_in", "Batches the task took in")),
      batches_out_(group_->counter("batches_out", "Batches the task sent downstream")),
      bytes_in_(group_->counter("bytes_in", "Bytes of batches received from other processes")),
      busy_ns_(group_->counter("busy_seconds", "Time the task spent processing, in seconds", 1e-9)),
      backpressured_ns_(group_->counter(
          "backpressured_seconds",
          "Time the task's input was held back for lack of credit downstream, in seconds", 1e-9)),
      dead_letters_(group_->counter("dead_letters", "Malformed input records set aside")),
      late_records_(group_->counter("late_records", "Records sent to late outputs")),
      queued_batches_(group_->gauge(
          "queued_batches", "Input batches waiting plus output batches waiting for credit")),
      state_entries_(group_->gauge("state_entries", "Keys holding state in the task's operators")),
      state_bytes_(group_->scope("nagare_task_", {{"backend", state_backend}})
                       .gauge("state_bytes",
                              "Bytes of the task's keyed state: stored in LevelDB, or encoded "
                              "by the last checkpoint (memory)")),
      watermark_ms_(group_->gauge("watermark_milliseconds",
                                  "The task's event-time watermark, in Unix milliseconds")),
      watermark_lag_s_(group_->gauge("watermark_lag_seconds",
                                     "How far the watermark is behind the wall clock, in seconds")),
      idle_(group_->gauge("idle", "1 when the task is idle: it holds back no watermark")) {
  // The lag grows while the watermark stands still: the refresher computes it.
  group_->on_refresh([this](double now) {
    double wm = watermark_ms_.value();
    watermark_lag_s_.set(wm > 0 ? now - wm / 1000.0 : 0);
  });
}

void task_metrics::publish(const task_info& info) {
  const auto& s = info.stats;
  advance(records_in_, s.records_in);
  advance(records_out_, s.records_out);
  advance(batches_in_, s.batches_in);
  advance(batches_out_, s.batches_out);
  advance(bytes_in_, s.bytes_in);
  advance(busy_ns_, s.busy_ns);
  advance(backpressured_ns_, s.backpressured_ns);
  advance(dead_letters_, std::max(info.dead_letters, s.dead_letters));
  advance(late_records_, s.late_records);
  queued_batches_.set(static_cast<double>(info.queued_batches));
  state_entries_.set(static_cast<double>(info.state_entries));
  state_bytes_.set(static_cast<double>(info.state_bytes));
  // No watermark yet, or the input ended: no lag to speak of.
  bool has_wm = info.watermark != min_timestamp && info.watermark != max_timestamp;
  watermark_ms_.set(has_wm ? static_cast<double>(info.watermark) : 0);
  idle_.set(info.idle ? 1 : 0);
  publish_channels(credits_, "output_credit", "Batches the output channel may still send",
                   info.credits);
  publish_channels(input_queues_, "input_queued_batches", "Batches waiting on the input channel",
                   info.input_queues);
}

void task_metrics::publish_channels(std::vector<channel>& channels, const char* name,
                                    const char* help, const std::vector<uint32_t>& values) {
  while (channels.size() < values.size()) {
    auto labels = labels_;
    labels.emplace_back("channel", std::to_string(channels.size()));
    channel c;
    c.group = registry_.group(labels, "nagare_task_");
    c.value = &c.group->gauge(name, help);
    channels.push_back(std::move(c));
  }
  for (size_t i = 0; i < values.size(); ++i) channels[i].value->set(values[i]);
}

}  // namespace nagare
