// Reading back which records of kafka_sink's pending transactions reached
// the topic (find_written in kafka_sink_support.hpp): one read_committed
// consumer, assigned explicitly at the transactions' scan-from offsets, reads
// every partition up to the end it had when the scan began.
#include <chrono>
#include <cstring>

#include "kafka_sink_support.hpp"

namespace nagare::kafka {

namespace {

struct message_deleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using message_ptr = std::unique_ptr<rd_kafka_message_t, message_deleter>;

bool parse_seq(const void* data, size_t size, uint64_t& seq) {
  if (size == 0 || size > 19) return false;
  const char* p = static_cast<const char*>(data);
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(p[i] - '0');
  }
  seq = v;
  return true;
}

}  // namespace

result<std::map<std::string, std::set<uint64_t>>> find_written(
    const kafka_sink_config& c, const std::set<std::string>& ids,
    const std::map<int32_t, int64_t>& scan_from, int deadline_ms) {
  const std::string what = std::string(sink_what) + " recovery";
  std::map<std::string, std::set<uint64_t>> found;
  if (ids.empty() || scan_from.empty()) return found;
  properties defaults = {
      {"client.id", "nagare-sink-recovery"},
      {"log.connection.close", "false"},
      {"fetch.wait.max.ms", "100"},
  };
  // librdkafka 2.0.2 refuses rd_kafka_assign without a group.id (Local:
  // Unknown group); the group is never joined and nothing is committed.
  properties fixed = {
      {"group.id", "nagare-sink-recovery"}, {"isolation.level", "read_committed"},
      {"enable.auto.commit", "false"},      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},  // a scan-from offset no longer retained
  };
  // The connection's properties apply (security, timeouts); producer-only
  // ones the consumer ignores.
  kafka_connection conn = c.connection;
  for (auto it = conn.properties.begin(); it != conn.properties.end();)
    if (it->first == "group.id" || it->first == "partitioner")
      it = conn.properties.erase(it);
    else
      ++it;
  // Where each partition ends now, its high watermark (asked with
  // read_uncommitted: read_committed would give the last stable offset):
  // every message of an earlier attempt is below. Partitions already read to
  // there need no reading.
  std::set<int32_t> partitions;
  for (const auto& [p, from] : scan_from) partitions.insert(p);
  result<std::map<int32_t, int64_t>> ends = std::map<int32_t, int64_t>{};
  {
    auto ends_conf = make_conf(conn, defaults, {{"isolation.level", "read_uncommitted"}}, what);
    if (!ends_conf.ok()) return ends_conf.error();
    auto ends_handle = make_handle(RD_KAFKA_CONSUMER, std::move(ends_conf.value()), what);
    if (!ends_handle.ok()) return ends_handle.error();
    ends = high_watermarks(ends_handle.value().get(), c.topic, partitions, 10000);
    if (!ends.ok()) return ends.error();
  }
  auto conf = make_conf(conn, defaults, fixed, what);
  if (!conf.ok()) return conf.error();
  auto handle = make_handle(RD_KAFKA_CONSUMER, std::move(conf.value()), what);
  if (!handle.ok()) return handle.error();
  rd_kafka_t* h = handle.value().get();
  rd_kafka_poll_set_consumer(h);
  partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(scan_from.size())));
  std::map<int32_t, int64_t> left;  // partition -> end still to reach
  for (const auto& [p, from] : scan_from) {
    int64_t end = ends.value()[p];
    if (from >= end) continue;
    rd_kafka_topic_partition_list_add(list.get(), c.topic.c_str(), p)->offset = from;
    left[p] = end;
  }
  if (left.empty()) return found;
  if (auto err = rd_kafka_assign(h, list.get()))
    return status::io_error(what + ": cannot assign partitions of " + c.topic + ": " +
                            rd_kafka_err2str(err));

  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  status error;
  while (!left.empty()) {
    if (std::chrono::steady_clock::now() > until) {
      std::string parts;
      for (const auto& [p, end] : left) parts += (parts.empty() ? "" : ",") + std::to_string(p);
      error = status::io_error(what + ": cannot read " + c.topic + " partitions " + parts +
                               " to their end in " + std::to_string(deadline_ms / 1000) +
                               " s (an open transaction of another producer holds it back?)");
      break;
    }
    message_ptr m(rd_kafka_consumer_poll(h, 100));
    if (!m) continue;
    auto it = left.find(m->partition);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // read_committed: the end is the last stable offset, which an open
      // transaction can hold below the high watermark; wait for it then.
      if (it != left.end() && m->offset >= it->second) left.erase(it);
      continue;
    }
    if (m->err) {
      if (rd_kafka_fatal_error(h, nullptr, 0)) {
        error = status::io_error(what + ": " + rd_kafka_message_errstr(m.get()));
        break;
      }
      continue;  // retried by librdkafka (brokers unreachable, leaders moving)
    }
    rd_kafka_headers_t* headers = nullptr;
    const void* txn = nullptr;
    const void* seq_bytes = nullptr;
    size_t txn_size = 0, seq_size = 0;
    uint64_t seq = 0;
    if (rd_kafka_message_headers(m.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(headers, txn_header, &txn, &txn_size) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(headers, seq_header, &seq_bytes, &seq_size) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        txn && parse_seq(seq_bytes, seq_size, seq)) {
      auto id = ids.find(std::string(static_cast<const char*>(txn), txn_size));
      if (id != ids.end()) found[*id].insert(seq);
    }
    if (it != left.end() && m->offset + 1 >= it->second) left.erase(it);
  }
  rd_kafka_assign(h, nullptr);
  rd_kafka_consumer_close(h);
  if (!error.ok()) return error;
  return found;
}

}  // namespace nagare::kafka
