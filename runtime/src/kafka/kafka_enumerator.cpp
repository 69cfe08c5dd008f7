#include "kafka_enumerator.hpp"

#include <memory>
#include <regex>
#include <set>
#include <utility>
#include <vector>

#include "kafka_config.hpp"
#include "source/background_enumerator.hpp"

namespace nagare {

namespace {

constexpr int metadata_timeout_ms = 5000;
const std::string what = "kafka source";

// A partition found by a metadata round.
struct partition_ref {
  std::string topic;
  int32_t partition;
};

// The work of the discovery thread; everything it touches outside is behind
// the enumerator's mutex.
class discovery {
 public:
  explicit discovery(kafka_source_config c) : config_(std::move(c)) {
    if (!config_.topic_pattern.empty()) pattern_ = std::regex(config_.topic_pattern);
  }

  status connect() {
    kafka::properties fixed;
    if (!config_.group.empty()) fixed.emplace_back("group.id", config_.group);
    auto conf =
        kafka::make_conf(config_.connection, {{"log.connection.close", "false"}}, fixed, what);
    if (!conf.ok()) return conf.error();
    auto h = kafka::make_handle(RD_KAFKA_CONSUMER, std::move(conf.value()), what);
    if (!h.ok()) return h.error();
    handle_ = std::move(h.value());
    return {};
  }

  // The partitions of the source's topics that are not in `known`.
  result<std::vector<partition_ref>> find(const std::set<std::string>& known, bool require_listed) {
    const rd_kafka_metadata_t* md = nullptr;
    auto err = rd_kafka_metadata(handle_.get(), 1, nullptr, &md, metadata_timeout_ms);
    if (err) return status::io_error(what + ": cannot get metadata: " + rd_kafka_err2str(err));
    std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> guard(
        md, rd_kafka_metadata_destroy);
    std::vector<partition_ref> out;
    std::set<std::string> seen;
    for (int t = 0; t < md->topic_cnt; ++t) {
      const auto& topic = md->topics[t];
      std::string name = topic.topic;
      if (!wanted(name) || topic.err) continue;
      seen.insert(name);
      for (int p = 0; p < topic.partition_cnt; ++p) {
        int32_t id = topic.partitions[p].id;
        if (!known.count(kafka::split_id(name, id))) out.push_back({name, id});
      }
    }
    if (require_listed)
      for (const auto& t : config_.topics)
        if (!seen.count(t)) return status::not_found(what + ": topic '" + t + "' does not exist");
    return out;
  }

  // The offset partition `p` starts at in the first round.
  result<int64_t> start(const partition_ref& p) {
    switch (config_.start) {
      case kafka_start::earliest:
        return int64_t{RD_KAFKA_OFFSET_BEGINNING};
      case kafka_start::latest: {
        int64_t low = 0, high = 0;
        auto st = watermarks(p, low, high);
        if (!st.ok()) return st;
        return high;
      }
      case kafka_start::committed:
      case kafka_start::timestamp:
        return lookup(p);
    }
    return int64_t{RD_KAFKA_OFFSET_BEGINNING};
  }

  status watermarks(const partition_ref& p, int64_t& low, int64_t& high) {
    auto err = rd_kafka_query_watermark_offsets(handle_.get(), p.topic.c_str(), p.partition, &low,
                                                &high, metadata_timeout_ms);
    if (err)
      return status::io_error(what + ": cannot get the offsets of " +
                              kafka::split_id(p.topic, p.partition) + ": " + rd_kafka_err2str(err));
    return {};
  }

 private:
  bool wanted(const std::string& topic) const {
    if (!config_.topic_pattern.empty())
      return topic.rfind("__", 0) != 0 && std::regex_match(topic, pattern_);
    for (const auto& t : config_.topics)
      if (t == topic) return true;
    return false;
  }

  // The committed offset (committed) or the offset of a timestamp.
  result<int64_t> lookup(const partition_ref& p) {
    kafka::partition_list_ptr list(rd_kafka_topic_partition_list_new(1));
    auto* e = rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition);
    const bool committed = config_.start == kafka_start::committed;
    if (!committed) e->offset = config_.start_timestamp_ms;
    auto err = committed
                   ? rd_kafka_committed(handle_.get(), list.get(), metadata_timeout_ms)
                   : rd_kafka_offsets_for_times(handle_.get(), list.get(), metadata_timeout_ms);
    if (!err) err = e->err;
    const auto name = kafka::split_id(p.topic, p.partition);
    if (err)
      return status::io_error(what + ": cannot get the " +
                              (committed ? "committed offset" : "offset of the start timestamp") +
                              " of " + name + ": " + rd_kafka_err2str(err));
    if (e->offset >= 0) return int64_t{e->offset};
    if (committed) return int64_t{RD_KAFKA_OFFSET_BEGINNING};  // the group has none
    // No message at or after the timestamp: from the end.
    int64_t low = 0, high = 0;
    auto st = watermarks(p, low, high);
    if (!st.ok()) return st;
    return high;
  }

  kafka_source_config config_;
  std::regex pattern_;
  kafka::handle_ptr handle_;
};

// One discovery round of a kafka source (background_enumerator::round_fn):
// the partitions of the wanted topics not known yet, with their start
// offsets and, bounded, end offsets resolved in the first round.
background_enumerator::round_fn kafka_round(const kafka_source_config& config) {
  // Made by the first round, on the enumerator's thread.
  std::shared_ptr<discovery> d;
  std::shared_ptr<status> connected;
  return [config, d, connected](const std::set<std::string>& known,
                                bool first) mutable -> result<std::vector<source_split>> {
    if (!d) {
      d = std::make_shared<discovery>(config);
      connected = std::make_shared<status>(d->connect());
    }
    if (!connected->ok()) return *connected;
    auto found = d->find(known, first && config.bounded);
    if (!found.ok()) return found.error();
    std::vector<source_split> splits;
    for (const auto& p : found.value()) {
      source_split s;
      s.id = kafka::split_id(p.topic, p.partition);
      int64_t start = RD_KAFKA_OFFSET_BEGINNING;
      if (first) {
        auto at = d->start(p);
        if (!at.ok()) return at.error();
        start = at.value();
      }
      s.start = kafka::encode_offset(start);
      if (first && config.bounded) {
        int64_t low = 0, high = 0;
        if (auto st = d->watermarks(p, low, high); !st.ok()) return st;
        s.end = kafka::encode_offset(high);
      }
      splits.push_back(std::move(s));
    }
    return splits;
  };
}

}  // namespace

result<std::unique_ptr<split_enumerator>> make_kafka_enumerator(const std::string& config) {
  kafka_source_config c;
  if (!kafka::decode_source_config(config, c))
    return status::invalid_argument("malformed configuration of a kafka split enumerator");
  if (auto st = detail::validate_kafka_source(c); !st.ok()) return st;
  return std::unique_ptr<split_enumerator>(new background_enumerator(
      "kafka", kafka_round(c), c.discovery_interval_ms, c.bounded, c.bounded));
}

}  // namespace nagare
