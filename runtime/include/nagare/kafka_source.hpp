// Reading Kafka topics, on the split contract (nagare/source.hpp): each
// topic partition is a split, named "TOPIC/PARTITION". The job master's
// enumerator (the "kafka" kind, built into libnagare) finds the partitions of
// the source's topics, listed or matching a pattern, while the job runs (a
// partition or a matching topic that appears later is read from its
// beginning) and deals them to the source's subtasks; each subtask reads its
// partitions with one librdkafka consumer, assigned explicitly (no consumer
// group rebalancing).
//
//   auto events = job.source(
//       nagare::kafka_source<std::string>(
//           {"broker-1:9092,broker-2:9092", {{"security.protocol", "ssl"}}},
//           nagare::kafka_value_text)
//           .topics({"events"}).group("nagare-events").start(nagare::kafka_start::committed),
//       strategy.with_idleness(10000));
//
// Exactly once: a split's position is the offset of its next message, kept in
// the checkpoints; a restore seeks every partition there (Kafka's committed
// offsets are never used for recovery). When a checkpoint completes, the
// offsets it covers are committed to the consumer group, if the source has
// one, so that lag shows in Kafka's own tools.
//
// Start: where a partition known when the job starts is read from (resolved
// once by the enumerator, so every subtask and a restart without checkpoint
// agree):
//   earliest   its first retained message (the default)
//   latest     the end at the start (only messages produced later)
//   committed  the consumer group's committed offset (earliest when it has none)
//   timestamp  the first message with a timestamp >= start_timestamp_ms
//              (needs a broker with the ListOffsets API: not the test broker)
// Bounded: the end offsets of the partitions at the start are the splits'
// ends; the source ends once every partition is read up to there and
// discovers nothing later (backfills, tests). Unbounded (the default): the
// job runs until cancelled or stopped.
//
// Watermarks are per partition; a partition without messages holds the
// watermark back unless the watermark strategy sets an idleness timeout.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nagare/function.hpp"
#include "nagare/kafka_connection.hpp"
#include "nagare/owned.hpp"
#include "nagare/source.hpp"
#include "nagare/split.hpp"
#include "nagare/status.hpp"

namespace nagare {

// A message as the deserializer sees it; the views are valid during the call.
struct kafka_message {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;  // -1: none
  std::optional<std::string_view> key;
  std::string_view value;
};

// The message value as text (the connectors' "lines").
inline std::string kafka_value_text(const kafka_message& m) { return std::string(m.value); }

enum class kafka_start : uint8_t { earliest, latest, committed, timestamp };

// What a Kafka source reads, as data (it travels in the plan to the job
// master's enumerator and to every reader).
struct kafka_source_config {
  kafka_connection connection;
  std::vector<std::string> topics;  // read these ...
  std::string topic_pattern;  // ... or every topic matching this ECMAScript regex (whole name)
  std::string group;          // consumer group for committed offsets; "": none
  kafka_start start = kafka_start::earliest;
  int64_t start_timestamp_ms = 0;
  bool bounded = false;
  uint32_t discovery_interval_ms = 1000;
};

namespace detail {

// Receives the messages of kafka_consumer::poll.
class kafka_message_sink {
 public:
  virtual ~kafka_message_sink() = default;
  // The messages from now on come from split `id` (or it has no more).
  virtual void split(const std::string& id) = 0;
  virtual void split_finished(const std::string& id) = 0;
  virtual void message(const kafka_message& m) = 0;
};

// One source subtask's consumer (kafka_consumer.cpp): the reader of
// kafka_source without its record type. Same call order as source_reader.
class kafka_consumer {
 public:
  explicit kafka_consumer(kafka_source_config config);
  ~kafka_consumer();
  kafka_consumer(const kafka_consumer&) = delete;
  kafka_consumer& operator=(const kafka_consumer&) = delete;

  status open(const subtask_info& info);
  void add_splits(std::vector<source_split> splits);
  void no_more_splits();
  status poll(size_t max_messages, kafka_message_sink& out, bool& end);
  void splits(std::vector<std::string>& out) const;
  void positions(std::vector<std::string>& out) const;
  status restore(const std::vector<std::string>& entries);
  record_origin origin() const;
  status prepare_checkpoint(uint64_t id);
  status checkpoint_complete(uint64_t id);
  status close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The checks and the enumerator of kafka_source, compiled into libnagare.
status validate_kafka_source(const kafka_source_config& config);
enumerator_spec kafka_enumerator_spec(const kafka_source_config& config);

}  // namespace detail

template <class T>
class kafka_source {
 public:
  using record_type = T;
  kafka_source(kafka_connection connection, function<T(const kafka_message&)> deserialize)
      : deserialize_(std::move(deserialize)) {
    config_.connection = std::move(connection);
  }

  kafka_source& topics(std::vector<std::string> names) {
    config_.topics = std::move(names);
    return *this;
  }
  kafka_source& topic_pattern(std::string regex) {
    config_.topic_pattern = std::move(regex);
    return *this;
  }
  kafka_source& group(std::string id) {
    config_.group = std::move(id);
    return *this;
  }
  kafka_source& start(kafka_start where, int64_t timestamp_ms = 0) {
    config_.start = where;
    config_.start_timestamp_ms = timestamp_ms;
    return *this;
  }
  kafka_source& bounded(bool yes = true) {
    config_.bounded = yes;
    return *this;
  }
  kafka_source& discovery_interval_ms(uint32_t ms) {
    config_.discovery_interval_ms = ms;
    return *this;
  }
  const kafka_source_config& config() const { return config_; }

  std::string name() const { return "kafka source"; }
  status validate() const { return detail::validate_kafka_source(config_); }
  enumerator_spec enumerator(uint32_t parallelism) const {
    (void)parallelism;
    return detail::kafka_enumerator_spec(config_);
  }
  owned<source_reader<T>> create() const { return make_owned<reader>(config_, deserialize_); }

 private:
  class reader final : public source_reader<T>, detail::kafka_message_sink {
   public:
    reader(kafka_source_config config, function<T(const kafka_message&)> deserialize)
        : consumer_(std::move(config)), deserialize_(std::move(deserialize)) {}
    status open(const subtask_info& info) override { return consumer_.open(info); }
    status poll(size_t max_records, collector<T>& out, bool& end) override {
      out_ = &out;
      auto st = consumer_.poll(max_records, *this, end);
      out_ = nullptr;
      return st;
    }
    void splits(std::vector<std::string>& out) const override { consumer_.splits(out); }
    status close() override { return consumer_.close(); }
    void add_splits(std::vector<source_split> splits) override {
      consumer_.add_splits(std::move(splits));
    }
    void no_more_splits() override { consumer_.no_more_splits(); }
    void positions(std::vector<std::string>& out) const override { consumer_.positions(out); }
    status restore(const std::vector<std::string>& entries, const subtask_info&) override {
      return consumer_.restore(entries);
    }
    record_origin origin() const override { return consumer_.origin(); }
    status prepare_checkpoint(uint64_t id) override { return consumer_.prepare_checkpoint(id); }
    status checkpoint_complete(uint64_t id) override { return consumer_.checkpoint_complete(id); }

   private:
    void split(const std::string& id) override { out_->split(id); }
    void split_finished(const std::string& id) override { out_->split_finished(id); }
    void message(const kafka_message& m) override { out_->emit(deserialize_(m)); }

    detail::kafka_consumer consumer_;
    function<T(const kafka_message&)> deserialize_;
    collector<T>* out_ = nullptr;
  };

  kafka_source_config config_;
  function<T(const kafka_message&)> deserialize_;
};

}  // namespace nagare
