#include "kafka_sink_support.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <tuple>

#include "nagare/codec.hpp"
#include "nagare/tuple.hpp"

namespace nagare::kafka {

const char* const sink_what = "kafka sink";
const char* const txn_header = "nagare-txn";
const char* const seq_header = "nagare-seq";

namespace {

using record_tuple = std::tuple<int32_t, std::optional<std::string>, std::string>;
using entry_tuple = std::tuple<std::string, uint32_t, uint64_t,
                               std::vector<std::pair<int32_t, int64_t>>, std::vector<record_tuple>>;

}  // namespace

std::string encode_transaction(const sink_transaction& t) {
  entry_tuple e;
  std::get<0>(e) = t.id;
  std::get<1>(e) = t.subtask;
  std::get<2>(e) = t.checkpoint;
  std::get<3>(e) = t.scan_from;
  auto& records = std::get<4>(e);
  records.reserve(t.records.size());
  for (const auto& r : t.records) records.emplace_back(r.partition, r.key, r.value);
  return encode(e);
}

bool decode_transaction(const std::string& bytes, sink_transaction& t) {
  entry_tuple e;
  byte_reader in(bytes.data(), bytes.size());
  if (!codec<entry_tuple>::decode(in, e) || in.remaining() != 0 || std::get<0>(e).empty())
    return false;
  t.id = std::move(std::get<0>(e));
  t.subtask = std::get<1>(e);
  t.checkpoint = std::get<2>(e);
  t.scan_from = std::move(std::get<3>(e));
  t.records.clear();
  t.records.reserve(std::get<4>(e).size());
  for (auto& [partition, key, value] : std::get<4>(e)) {
    if (partition < 0) return false;
    t.records.push_back({partition, std::move(key), std::move(value)});
  }
  for (const auto& [partition, offset] : t.scan_from)
    if (partition < 0 || offset < 0) return false;
  return true;
}

std::string new_transaction_id(uint32_t subtask, uint64_t checkpoint) {
  static thread_local std::random_device device;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x-%u-%llu", device(), device(), device(), device(),
                subtask, static_cast<unsigned long long>(checkpoint));
  return buf;
}

result<key_hash> key_hash_of(const kafka_connection& c) {
  std::string name = "consistent_random";  // librdkafka's default
  for (const auto& [k, v] : c.properties)
    if (k == "partitioner") name = v;
  if (name == "consistent_random" || name == "consistent") return key_hash::crc32;
  if (name == "murmur2_random" || name == "murmur2") return key_hash::murmur2;
  if (name == "fnv1a_random" || name == "fnv1a") return key_hash::fnv1a;
  if (name == "random") return key_hash::none;
  return status::invalid_argument(std::string(sink_what) + ": partitioner '" + name +
                                  "' is not one of librdkafka's");
}

int32_t key_partition(key_hash h, const std::string& key, int32_t partitions) {
  // librdkafka's keyed partitioners are pure functions of the key (they do
  // not look at the topic handle).
  switch (h) {
    case key_hash::crc32:
      return rd_kafka_msg_partitioner_consistent(nullptr, key.data(), key.size(), partitions,
                                                 nullptr, nullptr);
    case key_hash::murmur2:
      return rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partitions, nullptr,
                                              nullptr);
    case key_hash::fnv1a:
      return rd_kafka_msg_partitioner_fnv1a(nullptr, key.data(), key.size(), partitions, nullptr,
                                            nullptr);
    default:
      return -1;
  }
}

result<conf_ptr> sink_conf(const kafka_sink_config& c, const std::string& transactional_id) {
  const std::string what = sink_what;
  for (const auto& [name, value] : c.connection.properties)
    if (name == "transactional.id")
      return status::invalid_argument(
          what + ": property transactional.id is the sink's own: set transactional_id_prefix()");
  properties defaults = {
      {"client.id", "nagare"},
      {"linger.ms", "10"},
      {"log.connection.close", "false"},
  };
  properties fixed;
  if (c.delivery != kafka_delivery::none) fixed.emplace_back("enable.idempotence", "true");
  if (!transactional_id.empty()) fixed.emplace_back("transactional.id", transactional_id);
  return make_conf(c.connection, defaults, fixed, what);
}

result<int32_t> topic_partitions(rd_kafka_t* h, const std::string& topic,
                                 const std::string& servers, int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  // All topics: a request naming the topic would create it on brokers that
  // auto-create topics (the test broker does).
  auto err = rd_kafka_metadata(h, 1, nullptr, &md, timeout_ms);
  if (err)
    return status::io_error(std::string(sink_what) + ": cannot reach " + servers + ": " +
                            rd_kafka_err2str(err));
  int32_t count = -1;
  std::string error;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err) error = rd_kafka_err2str(t.err);
    count = t.partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  if (count <= 0 || !error.empty())
    return status::not_found(std::string(sink_what) + ": topic '" + topic + "' does not exist on " +
                             servers + (error.empty() ? "" : " (" + error + ")"));
  return count;
}

result<std::map<int32_t, int64_t>> high_watermarks(rd_kafka_t* h, const std::string& topic,
                                                   const std::set<int32_t>& partitions,
                                                   int timeout_ms) {
  std::map<int32_t, int64_t> out;
  for (int32_t p : partitions) {
    int64_t low = 0, high = 0;
    auto err = rd_kafka_query_watermark_offsets(h, topic.c_str(), p, &low, &high, timeout_ms);
    if (err)
      return status::io_error(std::string(sink_what) + ": cannot read the end of " + topic + "/" +
                              std::to_string(p) + ": " + rd_kafka_err2str(err));
    out[p] = high;
  }
  return out;
}

void fault_point(const char* phase) {
  const char* spec = std::getenv("NAGARE_FAULT");  // once per commit: cheap
  if (!spec) return;
  static const std::string prefix = "kafka-sink-commit:";
  const std::string s = spec;
  if (s.compare(0, prefix.size(), prefix) != 0) return;
  auto rest = s.substr(prefix.size());
  auto colon = rest.find(':');
  if (colon == std::string::npos || rest.compare(0, colon, phase) != 0) return;
  auto file = rest.substr(colon + 1);
  if (!file.empty() && ::unlink(file.c_str()) == 0) {
    std::fprintf(stderr, "nagare: fault injected: kafka-sink-commit:%s\n", phase);
    std::_Exit(86);
  }
}

}  // namespace nagare::kafka

namespace nagare::detail {

status validate_kafka_sink(const kafka_sink_config& c) {
  const std::string what = kafka::sink_what;
  if (c.connection.bootstrap_servers.empty())
    return status::invalid_argument(what + ": no bootstrap servers");
  if (c.topic.empty()) return status::invalid_argument(what + ": no topic");
  if (auto h = kafka::key_hash_of(c.connection); !h.ok()) return h.error();
  std::string txn_id;
  if (c.delivery == kafka_delivery::exactly_once)
    txn_id = (c.transactional_id_prefix.empty() ? "nagare-" + c.topic : c.transactional_id_prefix) +
             "-0";
  auto conf = kafka::sink_conf(c, txn_id);
  if (!conf.ok()) return conf.error();
  auto handle = kafka::make_handle(RD_KAFKA_PRODUCER, std::move(conf.value()), what);
  if (!handle.ok()) return handle.error();
  auto partitions =
      kafka::topic_partitions(handle.value().get(), c.topic, c.connection.bootstrap_servers, 5000);
  if (!partitions.ok()) return partitions.error();
  return {};
}

}  // namespace nagare::detail
