// The practical limit for the Kafka + JSON benchmark: a hand-written,
// single-threaded loop that computes what jobs/json_count computes.
//
//   kafka_json_baseline --brokers HOST:PORT[,...] --topic TOPIC --output DIR [--key FIELD]
//
// One librdkafka consumer is assigned every partition of TOPIC from its low
// watermark and reads up to the high watermark taken at the start (bounded,
// like the job's kafka://...?stop=latest), in batches of up to 1024 messages from the
// consumer queue, as the engine's source polls. Each message value is parsed whole
// with simdjson's DOM (copied into a padded buffer, as nagare::json_reader
// does, which validates the whole document and its UTF-8); a top-level object
// whose FIELD (default "key") is a string is counted per value of it in a
// std::unordered_map, anything else is counted as a dead letter. The counts
// go into DIR/part-00000 as "key<TAB>count" lines, the format of the job's
// file sink, so scripts/bench can compare both outputs.
#include <librdkafka/rdkafka.h>
#include <simdjson.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sys/stat.h>

namespace {

struct options {
  std::string brokers;
  std::string topic;
  std::string output;
  std::string key = "key";
};

int usage(const std::string& message) {
  std::fprintf(stderr,
               "kafka_json_baseline: %s\n"
               "usage: kafka_json_baseline --brokers HOST:PORT --topic TOPIC --output DIR "
               "[--key FIELD]\n",
               message.c_str());
  return 2;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "kafka_json_baseline: %s\n", message.c_str());
  return 1;
}

struct handle_deleter {
  void operator()(rd_kafka_t* h) const {
    rd_kafka_consumer_close(h);
    rd_kafka_destroy(h);
  }
};
using handle_ptr = std::unique_ptr<rd_kafka_t, handle_deleter>;

// A consumer with the properties the engine's Kafka source sets by default.
handle_ptr make_consumer(const std::string& brokers, std::string& error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const char* props[][2] = {
      {"bootstrap.servers", brokers.c_str()},  {"client.id", "kafka-json-baseline"},
      {"group.id", "kafka-json-baseline"},  // never joined; librdkafka wants one
      {"enable.auto.commit", "false"},         {"enable.auto.offset.store", "false"},
      {"queued.max.messages.kbytes", "16384"}, {"fetch.wait.max.ms", "100"},
      {"log.connection.close", "false"},
  };
  char err[512];
  for (const auto& p : props) {
    if (rd_kafka_conf_set(conf, p[0], p[1], err, sizeof err) != RD_KAFKA_CONF_OK) {
      error = std::string(p[0]) + ": " + err;
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  rd_kafka_t* h = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (h == nullptr) {
    error = err;
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  rd_kafka_poll_set_consumer(h);
  return handle_ptr(h);
}

// The partition count of `topic`, or -1 with `error` set.
int partition_count(rd_kafka_t* h, const std::string& topic, std::string& error) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(h, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(h, 0, t, &md, 10000);
  rd_kafka_topic_destroy(t);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = std::string("metadata: ") + rd_kafka_err2str(e);
    return -1;
  }
  int n = -1;
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
    n = md->topics[0].partition_cnt;
  else
    error = "topic '" + topic + "' not found";
  rd_kafka_metadata_destroy(md);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage("missing value for " + arg);
    std::string value = argv[++i];
    if (arg == "--brokers") {
      opts.brokers = value;
    } else if (arg == "--topic") {
      opts.topic = value;
    } else if (arg == "--output") {
      opts.output = value;
    } else if (arg == "--key") {
      opts.key = value;
    } else {
      return usage("unknown option " + arg);
    }
  }
  if (opts.brokers.empty() || opts.topic.empty() || opts.output.empty())
    return usage("--brokers, --topic and --output are required");
  if (mkdir(opts.output.c_str(), 0755) != 0 && errno != EEXIST)
    return fail("cannot create " + opts.output + ": " + std::strerror(errno));

  auto wall_start = std::chrono::steady_clock::now();
  std::string error;
  handle_ptr consumer = make_consumer(opts.brokers, error);
  if (!consumer) return fail("cannot make a consumer: " + error);
  rd_kafka_t* h = consumer.get();
  int partitions = partition_count(h, opts.topic, error);
  if (partitions < 0) return fail(error);

  // Every partition from its low to its high watermark at the start.
  std::vector<int64_t> end(static_cast<size_t>(partitions));
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  size_t open = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(h, opts.topic.c_str(), p, &low, &high, 10000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return fail("watermarks of partition " + std::to_string(p) + ": " + rd_kafka_err2str(e));
    end[static_cast<size_t>(p)] = high;
    if (high > low) {
      rd_kafka_topic_partition_list_add(list, opts.topic.c_str(), p)->offset = low;
      ++open;
    }
  }
  rd_kafka_resp_err_t e = rd_kafka_assign(h, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(std::string("assign: ") + rd_kafka_err2str(e));

  // The loop: consume, parse, count.
  simdjson::dom::parser parser;
  std::vector<char> text;  // the value with simdjson's padding, reused
  std::unordered_map<std::string, uint64_t> counts;
  uint64_t events = 0;
  uint64_t dead_letters = 0;
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(h);
  std::vector<rd_kafka_message_t*> batch(1024);
  std::string failure;
  while (open > 0 && failure.empty()) {
    ssize_t n = rd_kafka_consume_batch_queue(queue, 1000, batch.data(), batch.size());
    if (n < 0) {
      failure = std::string("consume: ") + rd_kafka_err2str(rd_kafka_last_error());
      break;
    }
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      auto p = static_cast<size_t>(m->partition);
      if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && m->err != RD_KAFKA_RESP_ERR__TRANSPORT)
          failure = std::string("consume: ") + rd_kafka_message_errstr(m);
      } else if (p < end.size() && m->offset < end[p]) {
        ++events;
        if (text.size() < m->len + simdjson::SIMDJSON_PADDING)
          text.resize(m->len + simdjson::SIMDJSON_PADDING + 4096);
        if (m->len > 0) std::memcpy(text.data(), m->payload, m->len);
        std::memset(text.data() + m->len, 0, simdjson::SIMDJSON_PADDING);
        simdjson::dom::object object;
        std::string_view key;
        if (!parser.parse(text.data(), m->len, false).get(object) &&
            !object.at_key(opts.key).get(key))
          ++counts[std::string(key)];
        else
          ++dead_letters;
        if (m->offset + 1 >= end[p]) --open;
      }
      rd_kafka_message_destroy(m);
    }
  }
  rd_kafka_queue_destroy(queue);
  if (!failure.empty()) return fail(failure);
  consumer.reset();

  // The output: the same "key<TAB>count" lines as the job's file sink.
  std::string path = opts.output + "/part-00000";
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) return fail("cannot write " + path + ": " + std::strerror(errno));
  for (const auto& [key, count] : counts)
    std::fprintf(out, "%.*s\t%" PRIu64 "\n", static_cast<int>(key.size()), key.data(), count);
  if (std::fclose(out) != 0) return fail("cannot write " + path + ": " + std::strerror(errno));

  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::fprintf(stderr,
               "kafka_json_baseline: %" PRIu64 " events from %d partitions, %zu keys, %" PRIu64
               " dead letters in %.3f s (%.0f events/s)\n",
               events, partitions, counts.size(), dead_letters, wall,
               wall > 0 ? static_cast<double>(events) / wall : 0.0);
  return 0;
}
