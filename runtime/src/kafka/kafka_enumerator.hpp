// The "kafka" split enumerator: the partitions of a Kafka source's topics
// (listed, or every topic matching a pattern) are its splits, id
// "TOPIC/PARTITION" (nagare/kafka_source.hpp). A thread of its own asks the
// brokers for metadata every discovery interval, so discover() never waits
// for the network: it returns what that thread has found since.
//
// The partitions of the first metadata round start where the source says
// (earliest, latest, committed, timestamp: resolved to offsets there, so all
// readers and a restart agree); partitions found later start at their
// beginning. Bounded: the first round also takes every partition's high
// watermark as its end and discovery is finished after it. A round that
// fails (brokers down, a listed topic missing in bounded mode) is retried at
// the next interval; discover() reports its error.
//
// Split starts and ends are offsets (kafka_config.hpp: encode_offset).
// Config: kafka_config.hpp's encode_source_config. Snapshot: the splits
// handed out and whether the first round was done, in the codec of
// std::pair<std::vector<source_split>, bool>.
#pragma once

#include <memory>
#include <string>

#include "source/split_enumerator.hpp"

namespace nagare {

result<std::unique_ptr<split_enumerator>> make_kafka_enumerator(const std::string& config);

}  // namespace nagare
