// The parts of kafka_sink (nagare/kafka_sink.hpp) around its producer: the
// pending transactions as snapshot entries, the partitioner, the producer's
// properties, the topic's metadata, reading back which records of a
// transaction reached the topic, and the fault-injection hook.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kafka_config.hpp"
#include "nagare/kafka_sink.hpp"
#include "nagare/status.hpp"

namespace nagare::kafka {

extern const char* const sink_what;   // "kafka sink", in errors
extern const char* const txn_header;  // "nagare-txn"
extern const char* const seq_header;  // "nagare-seq"

struct sink_record {
  int32_t partition = 0;
  std::optional<std::string> key;
  std::string value;
};

// A checkpoint's records of one subtask, sealed by pre_commit; a snapshot
// entry in the codec of
//   std::tuple<std::string, uint32_t, uint64_t,
//              std::vector<std::pair<int32_t, int64_t>>,
//              std::vector<std::tuple<int32_t, std::optional<std::string>, std::string>>>
// (id, writer subtask, checkpoint, scan_from, records as (partition, key, value)).
struct sink_transaction {
  std::string id;  // 32 random hex digits "-" subtask "-" checkpoint: unique per transaction
  uint32_t subtask = 0;
  uint64_t checkpoint = 0;
  // Per partition with records: an offset at or below the first of them
  // (they are produced after the entry was sealed, so after this offset).
  std::vector<std::pair<int32_t, int64_t>> scan_from;
  std::vector<sink_record> records;
};

std::string encode_transaction(const sink_transaction& t);
bool decode_transaction(const std::string& bytes, sink_transaction& t);
std::string new_transaction_id(uint32_t subtask, uint64_t checkpoint);

// Where keyed records go: the hash of librdkafka's `partitioner` property.
enum class key_hash : uint8_t { crc32, murmur2, fnv1a, none };
result<key_hash> key_hash_of(const kafka_connection& c);
// The partition librdkafka's partitioner gives `key` among `partitions`.
int32_t key_partition(key_hash h, const std::string& key, int32_t partitions);

// The producer configuration of a sink (transactional.id added by exactly
// once sinks, per subtask); errors name the property.
result<conf_ptr> sink_conf(const kafka_sink_config& c, const std::string& transactional_id);

// The number of partitions of `topic`, asked of the brokers without creating
// it (a metadata request for all topics).
// Errors name `servers`.
result<int32_t> topic_partitions(rd_kafka_t* h, const std::string& topic,
                                 const std::string& servers, int timeout_ms);

// The high watermark of each of `partitions` of `topic`.
result<std::map<int32_t, int64_t>> high_watermarks(rd_kafka_t* h, const std::string& topic,
                                                   const std::set<int32_t>& partitions,
                                                   int timeout_ms);

// Which records of the transactions `ids` are in `topic` for a read_committed
// consumer: reads each partition of `scan_from` from there to its end, taking
// the messages whose nagare-txn header names one of `ids`; id -> seqs found.
// Waits at most `deadline_ms` for the end (on a real broker an open
// transaction of another producer holds read_committed consumers back).
result<std::map<std::string, std::set<uint64_t>>> find_written(
    const kafka_sink_config& c, const std::set<std::string>& ids,
    const std::map<int32_t, int64_t>& scan_from, int deadline_ms);

// NAGARE_FAULT=kafka-sink-commit:PHASE:FILE: exits the process (status 86)
// if the variable names `phase` and FILE could be removed.
void fault_point(const char* phase);

}  // namespace nagare::kafka
