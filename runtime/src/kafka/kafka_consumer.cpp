// kafka_source's reader without its record type (nagare/kafka_source.hpp):
// one librdkafka consumer per source subtask, its partitions assigned
// explicitly at the offsets the splits and the restored positions give, and
// polled without waiting (the task backs off when nothing comes).
#include <chrono>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "kafka_config.hpp"
#include "nagare/kafka_source.hpp"
#include "nagare/metrics.hpp"

namespace nagare::detail {

namespace {

const std::string what = "kafka source";
constexpr size_t max_batch = 1024;                      // messages taken from librdkafka at once
constexpr auto lag_interval = std::chrono::seconds(1);  // consumer lag measured this often

// A batch of messages from librdkafka, destroyed however poll() leaves.
struct message_batch {
  rd_kafka_message_t* at[max_batch];
  size_t count = 0;
  size_t next = 0;
  ~message_batch() {
    for (size_t i = next; i < count; ++i) rd_kafka_message_destroy(at[i]);
  }
};

}  // namespace

struct kafka_consumer::impl {
  struct partition {
    std::string id;  // "TOPIC/PARTITION"
    std::string topic;
    int32_t number = 0;
    int64_t next = RD_KAFKA_OFFSET_BEGINNING;  // offset of the next message to emit
    std::optional<int64_t> end;                // bounded: stop here
    bool assigned = false;
    bool finished = false;
    bool finish_reported = false;
    gauge* lag = nullptr;  // nagare_kafka_consumer_lag of the partition
  };

  kafka_source_config config;
  std::string task;
  kafka::handle_ptr handle;
  rd_kafka_queue_t* queue = nullptr;
  std::vector<partition> parts;
  std::map<std::pair<std::string, int32_t>, size_t> index;  // (topic, number) -> parts
  std::unordered_map<std::string, int64_t> restored;        // split id -> offset
  std::map<uint64_t, std::vector<std::pair<size_t, int64_t>>> to_commit;  // checkpoint -> offsets
  bool no_more = false;
  status error;
  const partition* current = nullptr;  // the split of the last message emitted
  int64_t current_offset = 0;
  uint64_t transient_errors = 0;          // reported: the 1st, 10th, 100th, ...
  std::shared_ptr<metric_group> metrics;  // the source operator's (null: none)
  counter* errors = nullptr;
  std::chrono::steady_clock::time_point next_lag;

  // Each assigned partition's lag: its high watermark (as of librdkafka's
  // last fetch response, no request) minus the next offset to read, in
  // messages; once per lag_interval, from poll().
  void measure_lag() {
    if (!metrics) return;
    auto now = std::chrono::steady_clock::now();
    if (now < next_lag) return;
    next_lag = now + lag_interval;
    for (auto& p : parts) {
      if (!p.lag)
        p.lag = &metrics
                     ->scope("nagare_kafka_",
                             {{"topic", p.topic}, {"partition", std::to_string(p.number)}})
                     .gauge("consumer_lag",
                            "Messages in the partition after the next one the source reads "
                            "(high watermark minus position)");
      if (p.finished) {
        p.lag->set(0);
        continue;
      }
      int64_t low = 0, high = 0;
      if (rd_kafka_get_watermark_offsets(handle.get(), p.topic.c_str(), p.number, &low, &high) !=
              RD_KAFKA_RESP_ERR_NO_ERROR ||
          high < 0)
        continue;  // no fetch response yet: not known
      int64_t from = p.next >= 0 ? p.next : low;
      p.lag->set(static_cast<double>(std::max<int64_t>(0, high - from)));
    }
  }

  ~impl() {
    if (queue) rd_kafka_queue_destroy(queue);
  }

  status assign_new() {
    kafka::partition_list_ptr list(rd_kafka_topic_partition_list_new(4));
    for (auto& p : parts) {
      if (p.assigned || p.finished) continue;
      auto* e = rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.number);
      e->offset = p.next;
      p.assigned = true;
    }
    if (list->cnt == 0) return {};
    if (auto* err = rd_kafka_incremental_assign(handle.get(), list.get())) {
      status st = status::io_error(what + " " + task +
                                   ": cannot assign partitions: " + rd_kafka_error_string(err));
      rd_kafka_error_destroy(err);
      return st;
    }
    return {};
  }

  void finish(partition& p) {
    p.finished = true;
    if (!p.assigned) return;
    kafka::partition_list_ptr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.number);
    if (auto* err = rd_kafka_incremental_unassign(handle.get(), list.get()))
      rd_kafka_error_destroy(err);  // it only stops fetching early
    p.assigned = false;
  }

  // The partition of a message. Messages come in runs from one partition (a
  // fetched batch), so the last one found is tried first: no string is built
  // per message.
  partition* find(const rd_kafka_topic_t* topic, int32_t number) {
    if (topic == last_topic && number == last_number) return &parts[last_index];
    auto it = index.find({rd_kafka_topic_name(topic), number});
    if (it == index.end()) return nullptr;
    last_topic = topic;
    last_number = number;
    last_index = it->second;
    return &parts[it->second];
  }
  const rd_kafka_topic_t* last_topic = nullptr;  // find()'s last hit
  int32_t last_number = 0;
  size_t last_index = 0;

  // A consumer error that is not the end of a partition: fatal ones fail the
  // task; the others (brokers unreachable, a rebalance of leaders) are
  // retried by librdkafka and reported now and then.
  status on_error(const rd_kafka_message_t& m) {
    if (rd_kafka_fatal_error(handle.get(), nullptr, 0))
      return status::io_error(what + " " + task +
                              ": fatal consumer error: " + rd_kafka_message_errstr(&m));
    ++transient_errors;
    if (errors) errors->inc();
    uint64_t n = transient_errors;
    while (n % 10 == 0) n /= 10;
    if (n == 1)
      std::fprintf(stderr, "nagare: %s %s: %s (error %llu, retried)\n", what.c_str(), task.c_str(),
                   rd_kafka_message_errstr(&m), static_cast<unsigned long long>(transient_errors));
    return {};
  }
};

kafka_consumer::kafka_consumer(kafka_source_config config) : impl_(std::make_unique<impl>()) {
  impl_->config = std::move(config);
}

kafka_consumer::~kafka_consumer() = default;

status kafka_consumer::open(const subtask_info& info) {
  auto& s = *impl_;
  s.task = info.task_name;
  s.metrics = info.metrics;
  if (s.metrics)
    s.errors = &s.metrics->scope("nagare_kafka_")
                    .counter("consumer_errors",
                             "Consumer errors librdkafka retries (brokers unreachable, "
                             "leaders moving)");
  kafka::properties defaults = {
      {"client.id", "nagare"},
      {"auto.offset.reset", "earliest"},        // a checkpointed offset past retention
      {"queued.max.messages.kbytes", "16384"},  // prefetch per subtask (librdkafka: 64 MiB)
      {"fetch.wait.max.ms", "100"},
      {"log.connection.close", "false"},
  };
  kafka::properties fixed = {
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
  };
  // librdkafka 2.0.2 neither assigns partitions nor gives the consumer queue
  // without a group.id, although the group is never joined (no subscribe):
  // a source without a group gets a placeholder to which nothing is committed.
  fixed.emplace_back("group.id", s.config.group.empty() ? "nagare-unjoined" : s.config.group);
  auto conf = kafka::make_conf(s.config.connection, defaults, fixed, what);
  if (!conf.ok()) return conf.error();
  auto handle = kafka::make_handle(RD_KAFKA_CONSUMER, std::move(conf.value()), what);
  if (!handle.ok()) return handle.error();
  s.handle = std::move(handle.value());
  rd_kafka_poll_set_consumer(s.handle.get());
  s.queue = rd_kafka_queue_get_consumer(s.handle.get());
  return {};
}

void kafka_consumer::add_splits(std::vector<source_split> splits) {
  auto& s = *impl_;
  for (auto& split : splits) {
    impl::partition p;
    p.id = split.id;
    if (!kafka::parse_split_id(split.id, p.topic, p.number) ||
        !kafka::decode_offset(split.start, p.next)) {
      s.error = status::invalid_argument("malformed kafka split '" + split.id + "'");
      continue;
    }
    if (split.end) {
      int64_t end = 0;
      if (!kafka::decode_offset(*split.end, end) || end < 0) {
        s.error = status::invalid_argument("malformed end of kafka split '" + split.id + "'");
        continue;
      }
      p.end = end;
    }
    if (auto it = s.restored.find(split.id); it != s.restored.end()) p.next = it->second;
    if (s.index.count({p.topic, p.number})) continue;  // dealt twice: read once
    // An empty bounded split (its end is its start) is finished at once.
    if (p.end && (*p.end == 0 || (p.next >= 0 && p.next >= *p.end))) p.finished = true;
    s.index[{p.topic, p.number}] = s.parts.size();
    s.parts.push_back(std::move(p));
  }
}

void kafka_consumer::no_more_splits() { impl_->no_more = true; }

status kafka_consumer::poll(size_t max_messages, kafka_message_sink& out, bool& end) {
  auto& s = *impl_;
  if (!s.error.ok()) return s.error;
  if (!s.queue) return status(errc::internal, what + " " + s.task + ": polled while not open");
  if (auto st = s.assign_new(); !st.ok()) return st;
  for (auto& p : s.parts)
    if (p.finished && !p.finish_reported) {
      out.split_finished(p.id);
      p.finish_reported = true;
    }
  message_batch batch;
  auto n = rd_kafka_consume_batch_queue(s.queue, 0, batch.at, std::min(max_messages, max_batch));
  if (n < 0)
    return status::io_error(what + " " + s.task +
                            ": cannot poll: " + rd_kafka_err2str(rd_kafka_last_error()));
  batch.count = static_cast<size_t>(n);
  for (; batch.next < batch.count; ++batch.next) {
    rd_kafka_message_t* m = batch.at[batch.next];
    impl::partition* p = m->rkt ? s.find(m->rkt, m->partition) : nullptr;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (p && !p->finished && p->end && m->offset >= *p->end) s.finish(*p);
    } else if (m->err) {
      if (auto st = s.on_error(*m); !st.ok()) return st;
    } else if (p && !p->finished && (p->next < 0 || m->offset >= p->next)) {
      if (p->end && m->offset >= *p->end) {
        s.finish(*p);
      } else {
        if (s.current != p) out.split(p->id);
        s.current = p;
        s.current_offset = m->offset;
        kafka_message km;
        km.topic = p->topic;
        km.partition = p->number;
        km.offset = m->offset;
        rd_kafka_timestamp_type_t type;
        km.timestamp_ms = rd_kafka_message_timestamp(m, &type);
        if (m->key) km.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
        km.value = std::string_view(static_cast<const char*>(m->payload), m->len);
        p->next = m->offset + 1;
        out.message(km);
        if (p->end && p->next >= *p->end) s.finish(*p);
      }
    }
    rd_kafka_message_destroy(m);
    if (p && p->finished && !p->finish_reported) {
      out.split_finished(p->id);
      p->finish_reported = true;
      if (s.current == p) s.current = nullptr;
    }
  }
  s.measure_lag();
  end = false;
  if (s.no_more) {
    end = true;
    for (const auto& p : s.parts) end = end && p.finished;
  }
  return {};
}

void kafka_consumer::splits(std::vector<std::string>& out) const {
  for (const auto& p : impl_->parts) out.push_back(p.id);
}

void kafka_consumer::positions(std::vector<std::string>& out) const {
  for (const auto& p : impl_->parts)
    out.push_back(encode_split_position(p.id, kafka::encode_offset(p.next)));
}

status kafka_consumer::restore(const std::vector<std::string>& entries) {
  auto& s = *impl_;
  for (const auto& e : entries) {
    std::string id, at;
    int64_t offset = 0;
    std::string topic;
    int32_t number = 0;
    if (!decode_split_position(e, id, at) || !kafka::parse_split_id(id, topic, number) ||
        !kafka::decode_offset(at, offset))
      return status::io_error("malformed kafka source position");
    s.restored[id] = offset;
  }
  return {};
}

record_origin kafka_consumer::origin() const {
  const auto& s = *impl_;
  if (!s.current) return {};
  return {s.current->id, static_cast<uint64_t>(s.current_offset)};
}

status kafka_consumer::prepare_checkpoint(uint64_t id) {
  auto& s = *impl_;
  if (s.config.group.empty()) return {};
  std::vector<std::pair<size_t, int64_t>> offsets;
  for (size_t i = 0; i < s.parts.size(); ++i)
    if (s.parts[i].next >= 0) offsets.emplace_back(i, s.parts[i].next);
  s.to_commit[id] = std::move(offsets);
  return {};
}

status kafka_consumer::checkpoint_complete(uint64_t id) {
  auto& s = *impl_;
  auto last = s.to_commit.upper_bound(id);
  if (last == s.to_commit.begin()) return {};
  auto& offsets = std::prev(last)->second;
  if (!offsets.empty()) {
    kafka::partition_list_ptr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [i, offset] : offsets)
      rd_kafka_topic_partition_list_add(list.get(), s.parts[i].topic.c_str(), s.parts[i].number)
          ->offset = offset;
    // Asynchronous: only for lag in Kafka's tools, never read back by Nagare.
    if (auto err = rd_kafka_commit(s.handle.get(), list.get(), 1))
      std::fprintf(stderr, "nagare: %s %s: committing offsets to group %s failed: %s\n",
                   what.c_str(), s.task.c_str(), s.config.group.c_str(), rd_kafka_err2str(err));
  }
  s.to_commit.erase(s.to_commit.begin(), last);
  return {};
}

status kafka_consumer::close() {
  auto& s = *impl_;
  if (!s.handle) return {};
  if (s.queue) {
    rd_kafka_queue_destroy(s.queue);
    s.queue = nullptr;
  }
  rd_kafka_consumer_close(s.handle.get());
  s.handle.reset();
  return {};
}

}  // namespace nagare::detail
