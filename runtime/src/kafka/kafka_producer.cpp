// kafka_sink's writer without its record type (nagare/kafka_sink.hpp): one
// librdkafka producer per sink subtask. Exactly once: records buffered per
// checkpoint, sealed as pending transactions at the barrier, produced in a
// Kafka transaction once the checkpoint completed, and on a restore read
// back and completed (kafka_sink_support.hpp). At least once and none:
// produced at once.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "kafka_sink_support.hpp"

namespace nagare::detail {

namespace {

using kafka::sink_record;
using kafka::sink_transaction;

struct error_deleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
using error_ptr = std::unique_ptr<rd_kafka_error_t, error_deleter>;

// A record to produce inside a transaction, with its headers.
struct txn_item {
  const std::string* id;
  uint64_t seq;
  const sink_record* record;
};

int64_t property_ms(const kafka_connection& c, const char* name, int64_t fallback) {
  for (const auto& [k, v] : c.properties)
    if (k == name) return std::strtoll(v.c_str(), nullptr, 10);
  return fallback;
}

}  // namespace

struct kafka_producer::impl {
  kafka_sink_config config;
  std::string what;  // "kafka sink TASK", in errors
  std::string prefix;
  uint32_t subtask = 0;
  uint32_t parallelism = 1;
  kafka::handle_ptr handle;
  int32_t partitions = 0;
  kafka::key_hash hash = kafka::key_hash::crc32;
  uint64_t next_round_robin = 0;
  std::map<int32_t, int64_t> bound;  // per partition: no later record lands below
  std::vector<sink_record> buffer;   // exactly once: written since the last barrier
  std::vector<sink_transaction> pending;
  status failed;  // the first failed delivery or fatal producer error
  uint64_t transient_errors = 0;

  bool exactly_once() const { return config.delivery == kafka_delivery::exactly_once; }
  std::string transactional_id(uint32_t s) const { return prefix + "-" + std::to_string(s); }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* s = static_cast<impl*>(opaque);
    if (m->err) {
      if (s->failed.ok())
        s->failed =
            status::io_error(s->what + ": delivery to " + s->config.topic + "/" +
                             std::to_string(m->partition) + " failed: " + rd_kafka_err2str(m->err));
      return;
    }
    auto& b = s->bound[m->partition];
    b = std::max(b, m->offset + 1);
  }

  // Fatal errors fail the task; the others librdkafka retries (brokers
  // unreachable, leaders moving): reported the 1st, 10th, 100th, ... time.
  static void on_error(rd_kafka_t* h, int err, const char* reason, void* opaque) {
    auto* s = static_cast<impl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_fatal_error(h, buf, sizeof buf);
      if (s->failed.ok()) s->failed = status::io_error(s->what + ": fatal producer error: " + buf);
      return;
    }
    uint64_t n = ++s->transient_errors;
    while (n % 10 == 0) n /= 10;
    if (n == 1)
      std::fprintf(stderr, "nagare: %s: %s (error %" PRIu64 ", retried)\n", s->what.c_str(), reason,
                   s->transient_errors);
  }

  status from(const rd_kafka_error_t* e, const std::string& doing) const {
    return status::io_error(what + ": " + doing + ": " + rd_kafka_error_string(e));
  }

  int32_t partition_of(const kafka_output_record& r) {
    if (config.partitioning == kafka_partitioning::by_key && r.key && !r.key->empty() &&
        hash != kafka::key_hash::none)
      return kafka::key_partition(hash, *r.key, partitions);
    return static_cast<int32_t>((subtask + next_round_robin++) % static_cast<uint64_t>(partitions));
  }

  // Enqueues one message (waiting while librdkafka's queue is full).
  rd_kafka_error_t* produce(const sink_record& r, const txn_item* item) {
    rd_kafka_vu_t vu[7];
    size_t n = 0;
    vu[n].vtype = RD_KAFKA_VTYPE_TOPIC;
    vu[n++].u.cstr = config.topic.c_str();
    vu[n].vtype = RD_KAFKA_VTYPE_PARTITION;
    vu[n++].u.i32 = r.partition;
    vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
    vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[n].u.mem.ptr = const_cast<char*>(r.value.data());
    vu[n++].u.mem.size = r.value.size();
    if (r.key) {
      vu[n].vtype = RD_KAFKA_VTYPE_KEY;
      vu[n].u.mem.ptr = const_cast<char*>(r.key->data());
      vu[n++].u.mem.size = r.key->size();
    }
    char seq[24];
    if (item) {
      int len = std::snprintf(seq, sizeof seq, "%" PRIu64, item->seq);
      vu[n].vtype = RD_KAFKA_VTYPE_HEADER;
      vu[n].u.header = {kafka::txn_header, item->id->data(),
                        static_cast<ssize_t>(item->id->size())};
      ++n;
      vu[n].vtype = RD_KAFKA_VTYPE_HEADER;
      vu[n].u.header = {kafka::seq_header, seq, static_cast<ssize_t>(len)};
      ++n;
    }
    for (;;) {
      rd_kafka_error_t* e = rd_kafka_produceva(handle.get(), vu, n);
      if (!e || rd_kafka_error_code(e) != RD_KAFKA_RESP_ERR__QUEUE_FULL) return e;
      rd_kafka_error_destroy(e);
      rd_kafka_poll(handle.get(), 100);
    }
  }

  // Waits until every message produced was delivered (or failed).
  status flush() {
    while (rd_kafka_outq_len(handle.get()) > 0) {
      rd_kafka_flush(handle.get(), 1000);
      if (!failed.ok()) return failed;
    }
    rd_kafka_poll(handle.get(), 0);
    return failed;
  }

  // Produces `items` in one Kafka transaction, retried once if librdkafka
  // says the transaction must be aborted. `faults`: the commit's fault
  // points (nagare/kafka_sink.hpp).
  status transact(const std::vector<txn_item>& items, const std::string& doing, bool faults) {
    if (faults) kafka::fault_point("before");
    status last;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (error_ptr e{rd_kafka_begin_transaction(handle.get())})
        return from(e.get(), doing + ": cannot begin a transaction");
      error_ptr abortable;
      for (size_t i = 0; i < items.size() && !abortable; ++i) {
        abortable.reset(produce(*items[i].record, &items[i]));
        if (!abortable && faults && items.size() >= 2 && i + 1 == items.size() / 2) {
          if (auto st = flush(); !st.ok()) return st;
          kafka::fault_point("middle");
        }
      }
      if (abortable && rd_kafka_error_is_fatal(abortable.get()))
        return from(abortable.get(), doing);
      for (int retry = 0; !abortable; ++retry) {
        error_ptr e{rd_kafka_commit_transaction(handle.get(), -1)};
        if (!e) {
          if (faults) kafka::fault_point("after");
          failed = {};  // failed deliveries of an aborted attempt are behind us
          return {};
        }
        if (rd_kafka_error_txn_requires_abort(e.get())) {
          abortable = std::move(e);
        } else if (!rd_kafka_error_is_retriable(e.get()) || retry >= 3) {
          // Fatal (fenced by a newer attempt's producer) or not retriable.
          return from(e.get(), doing + ": cannot commit the transaction");
        }
      }
      last = from(abortable.get(), doing);
      if (error_ptr e{rd_kafka_abort_transaction(handle.get(), -1)})
        return from(e.get(), doing + ": cannot abort the transaction");
    }
    return last;
  }

  // Makes sure no transaction of an earlier producer with `id` stays open:
  // init_transactions aborts it and fences that producer (real brokers).
  status fence(const std::string& id) {
    auto conf = kafka::sink_conf(config, id);
    if (!conf.ok()) return conf.error();
    auto h = kafka::make_handle(RD_KAFKA_PRODUCER, std::move(conf.value()), what);
    if (!h.ok()) return h.error();
    if (error_ptr e{rd_kafka_init_transactions(h.value().get(), -1)})
      return from(e.get(), "cannot fence transactional.id " + id);
    return {};
  }
};

kafka_producer::kafka_producer(kafka_sink_config config) : impl_(std::make_unique<impl>()) {
  impl_->config = std::move(config);
}

kafka_producer::~kafka_producer() = default;

status kafka_producer::open(const subtask_info& info) {
  auto& s = *impl_;
  s.what = std::string(kafka::sink_what) + " " + info.task_name;
  s.subtask = info.subtask;
  s.parallelism = info.parallelism > 0 ? info.parallelism : 1;
  s.prefix = s.config.transactional_id_prefix.empty() ? "nagare-" + s.config.topic
                                                      : s.config.transactional_id_prefix;
  auto hash = kafka::key_hash_of(s.config.connection);
  if (!hash.ok()) return hash.error();
  s.hash = hash.value();
  auto conf = kafka::sink_conf(s.config, s.exactly_once() ? s.transactional_id(s.subtask) : "");
  if (!conf.ok()) return conf.error();
  rd_kafka_conf_set_opaque(conf.value().get(), &s);
  rd_kafka_conf_set_dr_msg_cb(conf.value().get(), &impl::on_delivery);
  rd_kafka_conf_set_error_cb(conf.value().get(), &impl::on_error);
  auto handle = kafka::make_handle(RD_KAFKA_PRODUCER, std::move(conf.value()), s.what);
  if (!handle.ok()) return handle.error();
  s.handle = std::move(handle.value());
  auto partitions = kafka::topic_partitions(s.handle.get(), s.config.topic,
                                            s.config.connection.bootstrap_servers, 10000);
  if (!partitions.ok()) return partitions.error();
  s.partitions = partitions.value();
  if (s.exactly_once()) {
    // Where the partitions end now: a lower bound of where any record
    // produced from now on lands.
    std::set<int32_t> all;
    for (int32_t p = 0; p < s.partitions; ++p) all.insert(p);
    auto ends = kafka::high_watermarks(s.handle.get(), s.config.topic, all, 10000);
    if (!ends.ok()) return ends.error();
    s.bound = std::move(ends.value());
    if (error_ptr e{rd_kafka_init_transactions(s.handle.get(), -1)})
      return s.from(e.get(), "cannot initialize transactions (transactional.id " +
                                 s.transactional_id(s.subtask) + ")");
  }
  return {};
}

status kafka_producer::write(kafka_output_record& record) {
  auto& s = *impl_;
  sink_record r{s.partition_of(record), std::move(record.key), std::move(record.value)};
  if (s.exactly_once()) {
    s.buffer.push_back(std::move(r));
    return {};
  }
  if (error_ptr e{s.produce(r, nullptr)}) return s.from(e.get(), "cannot produce");
  rd_kafka_poll(s.handle.get(), 0);  // delivery reports
  return s.failed;
}

status kafka_producer::pre_commit(uint64_t checkpoint) {
  auto& s = *impl_;
  switch (s.config.delivery) {
    case kafka_delivery::at_least_once:
      return s.flush();
    case kafka_delivery::none:
      rd_kafka_poll(s.handle.get(), 0);
      return s.failed;
    default:
      break;
  }
  rd_kafka_poll(s.handle.get(), 0);  // raises the bounds
  if (s.buffer.empty()) return {};
  sink_transaction t;
  t.id = kafka::new_transaction_id(s.subtask, checkpoint);
  t.subtask = s.subtask;
  t.checkpoint = checkpoint;
  std::set<int32_t> used;
  for (const auto& r : s.buffer) used.insert(r.partition);
  for (int32_t p : used) t.scan_from.emplace_back(p, s.bound[p]);
  t.records = std::move(s.buffer);
  s.buffer.clear();
  s.pending.push_back(std::move(t));
  return {};
}

void kafka_producer::pending(std::vector<std::string>& out) const {
  for (const auto& t : impl_->pending) out.push_back(kafka::encode_transaction(t));
}

status kafka_producer::commit(uint64_t checkpoint) {
  auto& s = *impl_;
  if (!s.exactly_once()) return {};
  size_t done = 0;
  std::vector<txn_item> items;
  for (; done < s.pending.size() && s.pending[done].checkpoint <= checkpoint; ++done) {
    const auto& t = s.pending[done];
    for (size_t i = 0; i < t.records.size(); ++i) items.push_back({&t.id, i, &t.records[i]});
  }
  if (!items.empty()) {
    auto st = s.transact(items, "commit of checkpoint " + std::to_string(checkpoint), true);
    if (!st.ok()) return st;
  }
  s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<std::ptrdiff_t>(done));
  return {};
}

status kafka_producer::recover(const std::vector<std::string>& entries,
                               uint32_t previous_parallelism, const subtask_info& info) {
  auto& s = *impl_;
  const uint64_t restored = info.restored_checkpoint;
  if (!s.exactly_once()) {
    if (!entries.empty())
      return status::invalid_argument(s.what +
                                      ": the snapshot holds exactly-once transactions: restore "
                                      "with delivery exactly_once");
    return {};
  }
  // Subtasks of a larger earlier run that this one takes over: abort what
  // they may have left open.
  for (uint32_t p = s.parallelism; p < previous_parallelism; ++p)
    if (p % s.parallelism == s.subtask)
      if (auto st = s.fence(s.transactional_id(p)); !st.ok()) return st;

  std::vector<sink_transaction> mine;
  std::set<std::string> ids;
  for (const auto& e : entries) {
    sink_transaction t;
    if (!kafka::decode_transaction(e, t))
      return status::io_error(s.what + ": malformed transaction in the snapshot of checkpoint " +
                              std::to_string(restored));
    if (t.checkpoint > restored)
      return status::io_error(s.what + ": the snapshot of checkpoint " + std::to_string(restored) +
                              " holds a transaction of the later checkpoint " +
                              std::to_string(t.checkpoint));
    if (t.subtask % s.parallelism != s.subtask || !ids.insert(t.id).second) continue;
    mine.push_back(std::move(t));
  }
  if (mine.empty()) return {};
  std::stable_sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) {
    return a.checkpoint != b.checkpoint ? a.checkpoint < b.checkpoint : a.subtask < b.subtask;
  });
  std::map<int32_t, int64_t> scan_from;
  for (const auto& t : mine)
    for (const auto& [p, from] : t.scan_from) {
      auto it = scan_from.find(p);
      if (it == scan_from.end() || from < it->second) scan_from[p] = from;
    }
  // Waits for a transaction of another producer that holds the partitions
  // back (real brokers) at most until the broker must have aborted it.
  auto deadline = property_ms(s.config.connection, "transaction.timeout.ms", 60000) + 10000;
  auto written = kafka::find_written(s.config, ids, scan_from, static_cast<int>(deadline));
  if (!written.ok()) return written.error();
  std::vector<txn_item> items;
  size_t before = 0;
  for (const auto& t : mine) {
    const auto& seen = written.value()[t.id];
    for (size_t i = 0; i < t.records.size(); ++i)
      if (seen.count(i))
        ++before;
      else
        items.push_back({&t.id, i, &t.records[i]});
  }
  std::fprintf(stderr,
               "nagare: %s: %zu transaction(s) of checkpoint %" PRIu64
               " and earlier: %zu record(s) were written, %zu written now\n",
               s.what.c_str(), mine.size(), restored, before, items.size());
  if (items.empty()) return {};
  return s.transact(items, "recovery of checkpoint " + std::to_string(restored), false);
}

status kafka_producer::close() {
  auto& s = *impl_;
  if (!s.handle) return {};
  status st;
  if (!s.exactly_once()) st = s.flush();
  s.buffer.clear();  // exactly once: not sealed by a checkpoint, replayed after a restore
  s.handle.reset();
  return st;
}

}  // namespace nagare::detail
