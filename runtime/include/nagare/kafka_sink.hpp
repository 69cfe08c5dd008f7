// Writing a stream to a Kafka topic, with a delivery guarantee chosen per
// sink. Each sink subtask has one librdkafka producer.
//
//   stream.sink(nagare::kafka_sink<event>(
//                   {"broker-1:9092,broker-2:9092", {{"compression.type", "lz4"}}}, "events",
//                   [](const event& e, nagare::kafka_output_record& out) {
//                     out.key = e.user;        // optional: partition by key
//                     out.value = e.to_json();
//                   })
//                   .delivery(nagare::kafka_delivery::exactly_once)
//                   .transactional_id_prefix("billing-events"));
//
// Delivery (kafka_delivery):
//   exactly_once   (the default) A consumer reading with
//                  isolation.level=read_committed reads every record once,
//                  whatever fails. Records are buffered in memory between two
//                  checkpoint barriers; the barrier seals them as a pending
//                  transaction that is part of the checkpoint's snapshot; they
//                  are produced only after the checkpoint completed (commit),
//                  in one Kafka transaction per commit, each message with the
//                  headers nagare-txn (the transaction's unique id) and
//                  nagare-seq (its index in it). A restore from checkpoint C
//                  reads back, from a lower bound of where they can be, the
//                  messages of C's pending transactions and produces only
//                  those not there yet: a crash between a checkpoint's
//                  completion and the end of its commit, at any point, leaves
//                  each record once. Output becomes visible a checkpoint
//                  interval late, and the snapshot holds a checkpoint's worth
//                  of records.
//   at_least_once  Produced at once (idempotent producer); every checkpoint
//                  barrier waits until all was delivered. A restore writes the
//                  records since the checkpoint again.
//   none           Produced at once, waited for only at close: a failure can
//                  lose what was not delivered yet (guarantee() is none).
// A failed delivery is never silent: it fails the task, and the job
// restarts from its latest checkpoint.
//
// Partitioning (kafka_partitioning): by_key (the default) puts a record with
// a key where librdkafka's partitioner puts that key (the `partitioner`
// property: consistent_random, the default, is CRC32 of the key; murmur2*
// and fnv1a* are honoured too), so Nagare's output lands where other
// producers' records with the same key do; records without a key (or with
// an empty one) go round robin over the partitions, per subtask.
// round_robin ignores keys for placement (they are still written).
//
// Producer properties: the connection's properties pass through to
// librdkafka. The sink sets linger.ms=10 (overridable) and, unless the
// delivery is none, enable.idempotence=true (fixed: refused otherwise);
// transactional.id is the sink's (PREFIX-SUBTASK; set the prefix with
// transactional_id_prefix(), never the property).
//
// Fencing and timeouts, on a real broker (Apache Kafka, Redpanda): each
// subtask's producer has transactional.id PREFIX-SUBTASK and calls
// init_transactions when it opens, which aborts whatever transaction an
// earlier attempt's producer with that id left open and fences that producer
// (a zombie task of a lost node: its next commit fails fatally and the task
// fails). A restore also fences the ids of the subtasks of a larger previous
// parallelism that this subtask takes over. Two jobs writing with the same
// prefix fence each other: give each job its own prefix (the default is
// "nagare-" + topic). A transaction spans one commit() only (records are
// produced after the checkpoint completed), so it is short;
// transaction.timeout.ms (librdkafka's default 60 s) must exceed the longest
// commit. The test broker (librdkafka's mock cluster) enforces none of this,
// and shows aborted and unfinished transactions to read_committed consumers:
// there, exactly-once rests on the snapshot and the header scan alone.
//
// Fault injection (tests only, off unless set): with the environment variable
//   NAGARE_FAULT=kafka-sink-commit:PHASE:FILE
// a sink's commit of a checkpoint with records exits the process at once
// (std::_Exit(86), like kill -9) at PHASE, if FILE exists; FILE is removed
// first, so it fires once across all processes sharing it. PHASE: before
// (nothing of the commit produced yet), middle (half of its records
// delivered, the transaction not committed; needs at least 2 records),
// after (the Kafka transaction committed, the sink not yet returned).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nagare/delivery_guarantee.hpp"
#include "nagare/detail/serializing_sink.hpp"
#include "nagare/function.hpp"
#include "nagare/kafka_connection.hpp"
#include "nagare/owned.hpp"
#include "nagare/sink.hpp"
#include "nagare/status.hpp"

namespace nagare {

enum class kafka_delivery : uint8_t { exactly_once, at_least_once, none };
enum class kafka_partitioning : uint8_t { by_key, round_robin };

// What the serializer fills for one record: the message value and, if
// given, its key. The sink clears it before each call.
struct kafka_output_record {
  std::optional<std::string> key;
  std::string value;
  void clear() {
    key.reset();
    value.clear();
  }
};

// What a Kafka sink writes where, as data.
struct kafka_sink_config {
  kafka_connection connection;
  std::string topic;
  kafka_delivery delivery = kafka_delivery::exactly_once;
  kafka_partitioning partitioning = kafka_partitioning::by_key;
  std::string transactional_id_prefix;  // "": "nagare-" + topic
};

namespace detail {

// One sink subtask's producer (runtime/src/kafka/kafka_producer.cpp): the
// writer of kafka_sink without its record type. Same call order as sink<T>,
// from the task's thread only.
class kafka_producer {
 public:
  explicit kafka_producer(kafka_sink_config config);
  ~kafka_producer();
  kafka_producer(const kafka_producer&) = delete;
  kafka_producer& operator=(const kafka_producer&) = delete;

  status open(const subtask_info& info);
  // Takes the record's contents.
  status write(kafka_output_record& record);
  status pre_commit(uint64_t checkpoint);
  void pending(std::vector<std::string>& out) const;
  status commit(uint64_t checkpoint);
  status recover(const std::vector<std::string>& entries, uint32_t previous_parallelism,
                 const subtask_info& info);
  status close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// kafka_sink's checks, compiled into libnagare: the topic exists (asked of
// the brokers, a few seconds at most) and the properties make a producer.
status validate_kafka_sink(const kafka_sink_config& config);

}  // namespace detail

template <class T>
class kafka_sink {
 public:
  using record_type = T;
  using serializer = function<void(const T&, kafka_output_record&)>;

  kafka_sink(kafka_connection connection, std::string topic, serializer serialize)
      : serialize_(std::move(serialize)) {
    config_.connection = std::move(connection);
    config_.topic = std::move(topic);
  }

  kafka_sink& delivery(kafka_delivery d) {
    config_.delivery = d;
    return *this;
  }
  kafka_sink& partitioning(kafka_partitioning p) {
    config_.partitioning = p;
    return *this;
  }
  kafka_sink& transactional_id_prefix(std::string prefix) {
    config_.transactional_id_prefix = std::move(prefix);
    return *this;
  }
  const kafka_sink_config& config() const { return config_; }

  std::string name() const { return "kafka sink"; }
  delivery_guarantee guarantee() const {
    switch (config_.delivery) {
      case kafka_delivery::exactly_once:
        return delivery_guarantee::exactly_once;
      case kafka_delivery::none:
        return delivery_guarantee::none;
      default:
        return delivery_guarantee::at_least_once;
    }
  }
  status validate() const { return detail::validate_kafka_sink(config_); }
  owned<sink<T>> create() const {
    return make_owned<detail::serializing_sink<T, detail::kafka_producer, kafka_output_record>>(
        config_, serialize_);
  }

 private:
  kafka_sink_config config_;
  serializer serialize_;
};

}  // namespace nagare
