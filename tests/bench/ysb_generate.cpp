// The Yahoo Streaming Benchmark's data (yahoo/streaming-benchmarks,
// data/src/setup/core.clj), seeded: the campaigns and their ads, and the ad
// events as JSON lines, to files, to a Kafka topic, or both.
//
//   ysb_generate --seed S [--campaigns 100] [--ads-per-campaign 10]
//     [--ads-file FILE] [--redis HOST:PORT] [--events N]
//     [--files DIR [--splits K]] [--kafka BOOTSTRAP --topic T]
//     [--rate R] [--start-ms T] [--event-rate E] [--skew MS]
//     [--late-fraction F --late-ms L] [--unknown-fraction U]
//
// The ids and every field of event i are functions of the seed (and i), see
// ysb_ids.hpp. The ad table goes to --ads-file as "ad_id campaign_id" lines
// and to Redis as YSB lays it out (SADD campaigns C, SET ad C; nothing is
// deleted first). Event i goes to DIR/events-NNNNN.json number i % K, and to
// partition i % P of topic T (P from the topic's metadata), as
//
//   {"user_id": "U", "page_id": "P", "ad_id": "A", "ad_type": "T", "event_type": "E",
//    "event_time": "MS", "ip_address": "1.2.3.4"}
//
// on one line (files end each with "\n"; Kafka messages have no key, and a
// message not delivered within 60 s fails the run). Event i's time is
// start_ms + floor(i * 1000 / E), plus a skew in [-MS, MS], minus a late
// offset in [1, L] for a fraction F of the events. With --rate R, event i is
// produced no earlier than start + i / R seconds.
//
// The last line on standard output is one JSON object: events, views,
// known_views (views of ads in the table), unknown (events of ads in no
// campaign), late, bytes (of the event lines with their "\n"), first_ms and
// last_ms (least and greatest event time), seconds (producing the events),
// behind_ms_max (the most event i was produced after start + i / R; null
// without --rate), events_per_second, campaigns, ads, splits, partitions.
// Bad arguments exit with status 2, failures with 1, each with one line on
// standard error.
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ysb_ids.hpp"

namespace {

constexpr const char* usage_text =
    "usage: ysb_generate --seed S [--campaigns 100] [--ads-per-campaign 10] [--ads-file FILE]\n"
    "         [--redis HOST:PORT] [--events N] [--files DIR [--splits K]]\n"
    "         [--kafka BOOTSTRAP --topic T] [--rate R] [--start-ms T] [--event-rate E]\n"
    "         [--skew MS] [--late-fraction F --late-ms L] [--unknown-fraction U]\n";

constexpr int64_t default_start_ms = 1700000000000;
constexpr int64_t max_abs_ms = 1'000'000'000'000'000;  // about 31,700 years

struct options {
  bool has_seed = false;
  uint64_t seed = 0;
  uint64_t campaigns = 100;
  uint64_t ads_per_campaign = 10;
  std::string ads_file;
  std::string redis;  // HOST:PORT
  uint64_t events = 0;
  std::string files;  // DIR
  uint64_t splits = 1;
  bool has_splits = false;
  std::string kafka;  // bootstrap servers
  std::string topic;
  double rate = 0;  // events/s of wall clock, 0 = as fast as possible
  bool has_start_ms = false;
  int64_t start_ms = default_start_ms;
  double event_rate = 0;  // 0 = the default (rate, else 100000)
  int64_t skew_ms = 0;
  double late_fraction = 0;
  int64_t late_ms = 0;
  bool has_late_ms = false;
  double unknown_fraction = 0;
};

int usage(const std::string& message) {
  std::fprintf(stderr, "ysb_generate: %s\n%s", message.c_str(), usage_text);
  return 2;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "ysb_generate: %s\n", message.c_str());
  return 1;
}

bool parse_u64(const std::string& text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_i64(const std::string& text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_double(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && *end == '\0' && std::isfinite(out);
}

// "HOST:PORT" (or "redis://HOST:PORT").
bool parse_host_port(std::string text, std::string& host, int& port) {
  if (text.compare(0, 8, "redis://") == 0) text.erase(0, 8);
  auto colon = text.rfind(':');
  uint64_t p = 0;
  if (colon == std::string::npos || colon == 0 || !parse_u64(text.substr(colon + 1), p) || p == 0 ||
      p > 65535)
    return false;
  host = text.substr(0, colon);
  port = static_cast<int>(p);
  return true;
}

// Parses argv into opts; returns an error message, empty if fine.
std::string parse_options(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return "missing value for " + arg;
    std::string value = argv[++i];
    bool ok = true;
    if (arg == "--seed") {
      ok = parse_u64(value, o.seed);
      o.has_seed = true;
    } else if (arg == "--campaigns") {
      ok = parse_u64(value, o.campaigns) && o.campaigns >= 1 && o.campaigns <= 1'000'000;
    } else if (arg == "--ads-per-campaign") {
      ok = parse_u64(value, o.ads_per_campaign) && o.ads_per_campaign >= 1 &&
           o.ads_per_campaign <= 1'000'000;
    } else if (arg == "--ads-file") {
      o.ads_file = value;
    } else if (arg == "--redis") {
      std::string host;
      int port = 0;
      ok = parse_host_port(value, host, port);
      o.redis = value;
    } else if (arg == "--events") {
      ok = parse_u64(value, o.events) && o.events <= 1'000'000'000'000;
    } else if (arg == "--files") {
      o.files = value;
    } else if (arg == "--splits") {
      ok = parse_u64(value, o.splits) && o.splits >= 1 && o.splits <= 1000;
      o.has_splits = true;
    } else if (arg == "--kafka") {
      o.kafka = value;
    } else if (arg == "--topic") {
      o.topic = value;
    } else if (arg == "--rate") {
      ok = parse_double(value, o.rate) && o.rate >= 0;
    } else if (arg == "--start-ms") {
      ok = parse_i64(value, o.start_ms) && std::abs(o.start_ms) <= max_abs_ms;
      o.has_start_ms = true;
    } else if (arg == "--event-rate") {
      ok = parse_double(value, o.event_rate) && o.event_rate > 0;
    } else if (arg == "--skew") {
      ok = parse_i64(value, o.skew_ms) && o.skew_ms >= 0 && o.skew_ms <= max_abs_ms;
    } else if (arg == "--late-fraction") {
      ok = parse_double(value, o.late_fraction) && o.late_fraction >= 0 && o.late_fraction <= 1;
    } else if (arg == "--late-ms") {
      ok = parse_i64(value, o.late_ms) && o.late_ms >= 1 && o.late_ms <= max_abs_ms;
      o.has_late_ms = true;
    } else if (arg == "--unknown-fraction") {
      ok = parse_double(value, o.unknown_fraction) && o.unknown_fraction >= 0 &&
           o.unknown_fraction <= 1;
    } else {
      return "unknown option " + arg;
    }
    if (!ok) return "bad value for " + arg + ": '" + value + "'";
  }
  if (!o.has_seed) return "missing --seed S";
  if (o.campaigns * o.ads_per_campaign > 10'000'000) return "more than 10,000,000 ads";
  if (o.has_splits && o.files.empty()) return "--splits needs --files DIR";
  if (o.kafka.empty() != o.topic.empty()) return "--kafka and --topic go together";
  if (o.late_fraction > 0 && !o.has_late_ms) return "--late-fraction needs --late-ms L";
  if (o.events > 0 && o.files.empty() && o.kafka.empty())
    return "--events needs --files DIR or --kafka BOOTSTRAP";
  if (o.ads_file.empty() && o.redis.empty() && o.files.empty() && o.kafka.empty())
    return "nothing to write: give --ads-file, --redis, --files or --kafka";
  if (o.event_rate == 0) o.event_rate = o.rate > 0 ? o.rate : 100000;
  if (static_cast<double>(o.events) * 1000.0 / o.event_rate > static_cast<double>(max_abs_ms))
    return "event times out of range: --events too many for --event-rate";
  return "";
}

std::string errno_text() { return std::strerror(errno); }

// The ad table: campaign ids, ad ids, and each ad's campaign (a / ads_per_campaign).
struct ad_table {
  std::vector<ysb::uuid_text> campaigns;
  std::vector<ysb::uuid_text> ads;
  uint64_t ads_per_campaign = 1;
  const ysb::uuid_text& campaign_of(uint64_t ad) const { return campaigns[ad / ads_per_campaign]; }
};

ad_table make_table(const options& o) {
  ad_table t;
  t.ads_per_campaign = o.ads_per_campaign;
  t.campaigns.reserve(o.campaigns);
  for (uint64_t c = 0; c < o.campaigns; ++c) t.campaigns.push_back(ysb::campaign_id(o.seed, c));
  t.ads.reserve(o.campaigns * o.ads_per_campaign);
  for (uint64_t a = 0; a < o.campaigns * o.ads_per_campaign; ++a)
    t.ads.push_back(ysb::ad_id(o.seed, a));
  return t;
}

// Writes all of [data, data + size) to fd.
bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// A file written through a large buffer. Owned by the generator's one thread.
class buffered_file {
 public:
  static constexpr size_t flush_at = 1 << 20;
  static constexpr size_t max_record = 1024;  // an event line is under 400 bytes

  buffered_file() = default;
  buffered_file(const buffered_file&) = delete;
  buffered_file& operator=(const buffered_file&) = delete;
  ~buffered_file() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    buf_.resize(flush_at + max_record);
    return fd_ >= 0;
  }
  const std::string& path() const { return path_; }

  // Room for one record of up to max_record bytes; commit(n) keeps n of them.
  char* reserve() { return buf_.data() + size_; }
  bool commit(size_t n) {
    size_ += n;
    return size_ < flush_at || flush();
  }
  bool flush() {
    bool ok = write_all(fd_, buf_.data(), size_);
    size_ = 0;
    return ok;
  }
  bool close() {
    bool ok = flush() && ::close(fd_) == 0;
    fd_ = -1;
    return ok;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<char> buf_;
  size_t size_ = 0;
};

char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// Writes the JSON line of `e` (without "\n") at out; returns its end.
char* format_event(char* out, const ysb::event& e, const ad_table& t,
                   const std::vector<ysb::uuid_text>& users,
                   const std::vector<ysb::uuid_text>& pages) {
  char* p = put(out, "{\"user_id\": \"");
  p = put(p, ysb::view(users[e.user]));
  p = put(p, "\", \"page_id\": \"");
  p = put(p, ysb::view(pages[e.page]));
  p = put(p, "\", \"ad_id\": \"");
  p = put(p, ysb::view(e.unknown ? e.unknown_ad : t.ads[e.ad]));
  p = put(p, "\", \"ad_type\": \"");
  p = put(p, ysb::ad_types[e.ad_type]);
  p = put(p, "\", \"event_type\": \"");
  p = put(p, ysb::event_types[e.event_type]);
  p = put(p, "\", \"event_time\": \"");
  p = std::to_chars(p, p + 24, e.time).ptr;
  return put(p, "\", \"ip_address\": \"1.2.3.4\"}");
}

// --- Redis -------------------------------------------------------------------

struct redis_deleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using redis_ptr = std::unique_ptr<redisContext, redis_deleter>;

// SADD campaigns C for every campaign and SET ad C for every ad, pipelined
// in batches. Returns an error message, empty if fine.
std::string load_redis(const std::string& address, const ad_table& t) {
  std::string host;
  int port = 0;
  parse_host_port(address, host, port);
  timeval timeout{10, 0};
  redis_ptr c(redisConnectWithTimeout(host.c_str(), port, timeout));
  if (!c || c->err)
    return "cannot connect to Redis at " + host + ":" + std::to_string(port) + ": " +
           (c ? c->errstr : "out of memory");
  redisSetTimeout(c.get(), timeout);
  const size_t total = t.campaigns.size() + t.ads.size();
  constexpr size_t batch = 10000;
  for (size_t begin = 0; begin < total; begin += batch) {
    size_t end = std::min(total, begin + batch);
    for (size_t k = begin; k < end; ++k) {
      if (k < t.campaigns.size()) {
        const auto& id = t.campaigns[k];
        redisAppendCommand(c.get(), "SADD campaigns %b", id.data(), id.size());
      } else {
        size_t a = k - t.campaigns.size();
        const auto& ad = t.ads[a];
        const auto& campaign = t.campaign_of(a);
        redisAppendCommand(c.get(), "SET %b %b", ad.data(), ad.size(), campaign.data(),
                           campaign.size());
      }
    }
    for (size_t k = begin; k < end; ++k) {
      void* raw = nullptr;
      if (redisGetReply(c.get(), &raw) != REDIS_OK) return "Redis at " + address + ": " + c->errstr;
      auto* reply = static_cast<redisReply*>(raw);
      std::string error;
      if (reply->type == REDIS_REPLY_ERROR) error = std::string(reply->str, reply->len);
      freeReplyObject(reply);
      if (!error.empty()) return "Redis at " + address + ": " + error;
    }
  }
  return "";
}

// --- Kafka -------------------------------------------------------------------

struct delivery_state {
  uint64_t failed = 0;
  std::string first_error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* state = static_cast<delivery_state*>(opaque);
  if (state->failed++ == 0) state->first_error = rd_kafka_err2str(m->err);
}

// A producer to one topic; every call from the generator's one thread.
class kafka_producer {
 public:
  kafka_producer() = default;
  kafka_producer(const kafka_producer&) = delete;
  kafka_producer& operator=(const kafka_producer&) = delete;
  ~kafka_producer() {
    if (topic_ != nullptr) rd_kafka_topic_destroy(topic_);
    if (handle_ != nullptr) rd_kafka_destroy(handle_);
  }

  // Connects and reads the topic's partition count; returns an error, empty if fine.
  std::string open(const std::string& bootstrap, const std::string& topic) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const char* props[][2] = {
        {"bootstrap.servers", bootstrap.c_str()},
        {"client.id", "ysb-generate"},
        {"linger.ms", "5"},
        {"batch.num.messages", "10000"},
        {"queue.buffering.max.messages", "1000000"},
        {"queue.buffering.max.kbytes", "1048576"},
        {"message.timeout.ms", "60000"},
        {"log.connection.close", "false"},
        {"log_level", "2"},  // failures are reported in one line by the caller
    };
    char err[512];
    for (const auto& p : props) {
      if (rd_kafka_conf_set(conf, p[0], p[1], err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return std::string(p[0]) + ": " + err;
      }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &delivery_);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (handle_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return std::string("cannot make a Kafka producer: ") + err;
    }
    topic_ = rd_kafka_topic_new(handle_, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(handle_, 0, topic_, &md, 10000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return "metadata of topic '" + topic + "' from " + bootstrap + ": " + rd_kafka_err2str(e);
    std::string error;
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topics[0].partition_cnt > 0)
      partitions_ = md->topics[0].partition_cnt;
    else
      error = "topic '" + topic + "' not found at " + bootstrap;
    rd_kafka_metadata_destroy(md);
    return error;
  }

  int partitions() const { return partitions_; }

  // Queues a copy of the value for `partition`, waiting while the queue is full.
  std::string produce(int partition, const char* value, size_t size) {
    while (rd_kafka_produce(topic_, partition, RD_KAFKA_MSG_F_COPY, const_cast<char*>(value), size,
                            nullptr, 0, nullptr) != 0) {
      rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) return std::string("produce: ") + rd_kafka_err2str(e);
      rd_kafka_poll(handle_, 10);
    }
    if (++since_poll_ >= 1024) poll();
    return delivery_.failed > 0 ? failure() : "";
  }

  void poll() {
    rd_kafka_poll(handle_, 0);
    since_poll_ = 0;
  }

  // Waits until every message is delivered; returns an error, empty if all were.
  std::string flush() {
    rd_kafka_resp_err_t e = rd_kafka_flush(handle_, 120000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return std::to_string(rd_kafka_outq_len(handle_)) +
             " messages not delivered: " + rd_kafka_err2str(e);
    return delivery_.failed > 0 ? failure() : "";
  }

 private:
  std::string failure() const {
    return std::to_string(delivery_.failed) +
           " messages not delivered; the first: " + delivery_.first_error;
  }

  rd_kafka_t* handle_ = nullptr;
  rd_kafka_topic_t* topic_ = nullptr;
  int partitions_ = 0;
  uint32_t since_poll_ = 0;
  delivery_state delivery_;
};

// --- Output ------------------------------------------------------------------

struct counts {
  uint64_t events = 0;
  uint64_t views = 0;
  uint64_t known_views = 0;
  uint64_t unknown = 0;
  uint64_t late = 0;
  uint64_t bytes = 0;
  int64_t first_ms = INT64_MAX;
  int64_t last_ms = INT64_MIN;
};

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleep_until_ns(int64_t t) {
  timespec ts{static_cast<time_t>(t / 1'000'000'000), static_cast<long>(t % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  std::string error = parse_options(argc, argv, o);
  if (!error.empty()) return usage(error);
  if (o.rate > 0 && !o.has_start_ms) o.start_ms = wall_clock_ms();

  const ad_table table = make_table(o);
  if (!o.ads_file.empty()) {
    std::string text;
    text.reserve(table.ads.size() * 74);
    for (size_t a = 0; a < table.ads.size(); ++a) {
      text.append(ysb::view(table.ads[a])).push_back(' ');
      text.append(ysb::view(table.campaign_of(a))).push_back('\n');
    }
    int fd = ::open(o.ads_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || !write_all(fd, text.data(), text.size()) || ::close(fd) != 0)
      return fail("cannot write " + o.ads_file + ": " + errno_text());
  }
  if (!o.redis.empty()) {
    error = load_redis(o.redis, table);
    if (!error.empty()) return fail(error);
  }

  // The sinks.
  std::vector<std::unique_ptr<buffered_file>> files;
  if (!o.files.empty()) {
    if (::mkdir(o.files.c_str(), 0755) != 0 && errno != EEXIST)
      return fail("cannot create " + o.files + ": " + errno_text());
    for (uint64_t k = 0; k < o.splits; ++k) {
      char name[48];
      std::snprintf(name, sizeof name, "/events-%05" PRIu64 ".json", k);
      files.push_back(std::make_unique<buffered_file>());
      if (!files.back()->open(o.files + name))
        return fail("cannot write " + o.files + name + ": " + errno_text());
    }
  }
  kafka_producer kafka;
  if (!o.kafka.empty()) {
    error = kafka.open(o.kafka, o.topic);
    if (!error.empty()) return fail(error);
  }

  // The events.
  std::vector<ysb::uuid_text> users, pages;
  for (uint32_t u = 0; u < ysb::users; ++u) users.push_back(ysb::user_id(o.seed, u));
  for (uint32_t p = 0; p < ysb::pages; ++p) pages.push_back(ysb::page_id(o.seed, p));
  ysb::event_params params;
  params.ads = table.ads.size();
  params.start_ms = o.start_ms;
  params.event_rate = o.event_rate;
  params.skew_ms = o.skew_ms;
  params.late_fraction = o.late_fraction;
  params.late_ms = o.late_ms;
  params.unknown_fraction = o.unknown_fraction;
  const ysb::event_source source(o.seed, params);

  counts n;
  std::vector<char> scratch(buffered_file::max_record);
  const bool paced = o.rate > 0;
  const double ns_per_event = paced ? 1e9 / o.rate : 0;
  int64_t behind_ns_max = 0;
  const int64_t start_ns = monotonic_ns();
  for (uint64_t i = 0; i < o.events; ++i) {
    if (paced) {
      const int64_t due = start_ns + static_cast<int64_t>(static_cast<double>(i) * ns_per_event);
      const int64_t now = monotonic_ns();
      if (now < due) {
        for (auto& f : files)
          if (!f->flush()) return fail("cannot write " + f->path() + ": " + errno_text());
        if (!o.kafka.empty()) kafka.poll();
        sleep_until_ns(due);
      } else if (now - due > behind_ns_max) {
        behind_ns_max = now - due;
      }
    }
    const ysb::event e = source.at(i);
    buffered_file* file = files.empty() ? nullptr : files[i % files.size()].get();
    char* line = file != nullptr ? file->reserve() : scratch.data();
    char* end = format_event(line, e, table, users, pages);
    const auto size = static_cast<size_t>(end - line);
    if (!o.kafka.empty()) {
      error = kafka.produce(static_cast<int>(i % static_cast<uint64_t>(kafka.partitions())), line,
                            size);
      if (!error.empty()) return fail(error);
    }
    if (file != nullptr) {
      *end = '\n';
      if (!file->commit(size + 1))
        return fail("cannot write " + file->path() + ": " + errno_text());
    }
    ++n.events;
    n.bytes += size + 1;
    if (e.event_type == ysb::view_type) {
      ++n.views;
      if (!e.unknown) ++n.known_views;
    }
    if (e.unknown) ++n.unknown;
    if (e.late) ++n.late;
    if (e.time < n.first_ms) n.first_ms = e.time;
    if (e.time > n.last_ms) n.last_ms = e.time;
  }
  for (auto& f : files)
    if (!f->close()) return fail("cannot write " + f->path() + ": " + errno_text());
  if (!o.kafka.empty()) {
    error = kafka.flush();
    if (!error.empty()) return fail("Kafka " + o.kafka + ": " + error);
  }
  const double seconds = static_cast<double>(monotonic_ns() - start_ns) * 1e-9;

  std::string first = n.events > 0 ? std::to_string(n.first_ms) : "null";
  std::string last = n.events > 0 ? std::to_string(n.last_ms) : "null";
  char behind[32] = "null";
  if (paced)
    std::snprintf(behind, sizeof behind, "%.3f", static_cast<double>(behind_ns_max) * 1e-6);
  std::printf("{\"events\": %" PRIu64 ", \"views\": %" PRIu64 ", \"known_views\": %" PRIu64
              ", \"unknown\": %" PRIu64 ", \"late\": %" PRIu64 ", \"bytes\": %" PRIu64
              ", \"first_ms\": %s, \"last_ms\": %s, \"seconds\": %.3f, \"behind_ms_max\": %s"
              ", \"events_per_second\": %.0f, \"campaigns\": %zu, \"ads\": %zu"
              ", \"splits\": %zu, \"partitions\": %d}\n",
              n.events, n.views, n.known_views, n.unknown, n.late, n.bytes, first.c_str(),
              last.c_str(), seconds, behind,
              seconds > 0 ? static_cast<double>(n.events) / seconds : 0.0, table.campaigns.size(),
              table.ads.size(), files.size(), kafka.partitions());
  return 0;
}
