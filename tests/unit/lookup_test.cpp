// Lookups (nagare/lookup.hpp) over a table reader of the test's own: the
// cache's counters for a known key distribution, eviction, expiry, misses,
// batching, and the URI options.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "lookup/lookup_cache.hpp"
#include "metrics/prometheus_text.hpp"
#include "nagare/lookup.hpp"
#include "nagare/metrics.hpp"

namespace nagare {
namespace {

struct fake_table {
  std::map<std::string, std::string> rows;
  std::mutex mutex;
  std::vector<size_t> reads;  // keys per read
  bool down = false;
};

class fake_reader final : public detail::table_reader {
 public:
  explicit fake_reader(std::shared_ptr<fake_table> t) : t_(std::move(t)) {}
  status read(const std::vector<std::string>& keys, std::vector<std::string>& values,
              std::vector<uint8_t>& found) override {
    std::lock_guard<std::mutex> lock(t_->mutex);
    if (t_->down) return status(errc::unavailable, "table down");
    t_->reads.push_back(keys.size());
    values.assign(keys.size(), "");
    found.assign(keys.size(), 0);
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = t_->rows.find(keys[i]);
      if (it == t_->rows.end()) continue;
      values[i] = it->second;
      found[i] = 1;
    }
    return {};
  }
  std::string describe() const override { return "fake table"; }

 private:
  std::shared_ptr<fake_table> t_;
};

std::shared_ptr<detail::lookup_config> config_of(std::shared_ptr<fake_table> t) {
  auto c = std::make_shared<detail::lookup_config>();
  c->make_reader = [t](const connector_uri&,
                       const detail::table_reader_options&) -> result<owned<detail::table_reader>> {
    return owned<detail::table_reader>(make_owned<fake_reader>(t));
  };
  return c;
}

// Looks `key` up and waits for the answer, which it hands back to the
// client (as the operator does on the task's thread).
detail::lookup_value lookup_one(detail::lookup_client& client, const std::string& key) {
  auto q = std::make_shared<detail::completion_queue<detail::lookup_value>>(nullptr);
  client.start(key, async_result<detail::lookup_value>(q, 0, 1));
  std::vector<detail::completion_queue<detail::lookup_value>::completion> got;
  for (int i = 0; i < 5000 && q->empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  q->take(got);
  EXPECT_EQ(got.size(), 1u);
  if (got.empty() || !got[0].ok) return {};
  client.finished(got[0].value);
  return got[0].value;
}

TEST(lookup, cache_counters_match_a_known_key_distribution) {
  auto t = std::make_shared<fake_table>();
  for (int i = 0; i < 10; ++i) t->rows["hot" + std::to_string(i)] = "v" + std::to_string(i);
  detail::lookup_client client(config_of(t));
  ASSERT_TRUE(client.open(subtask_info{}).ok());
  // 1000 lookups: 9 of every 10 go to one of 10 hot keys, the 10th to a new
  // cold key that the table does not have.
  std::set<std::string> distinct;
  uint64_t found = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string key = i % 10 == 9 ? "cold" + std::to_string(i) : "hot" + std::to_string(i % 7);
    distinct.insert(key);
    auto v = lookup_one(client, key);
    EXPECT_EQ(v.key, key);
    if (v.value) {
      ++found;
      EXPECT_EQ(*v.value, "v" + key.substr(3));
    }
  }
  auto c = client.counters();
  EXPECT_EQ(c.misses, distinct.size());  // 7 hot + 100 cold keys
  EXPECT_EQ(c.hits, 1000 - distinct.size());
  EXPECT_EQ(c.requests, distinct.size());
  EXPECT_EQ(c.not_found, 100u);
  EXPECT_EQ(c.failures, 0u);
  EXPECT_EQ(found, 900u);
  EXPECT_GT(c.latency_max_us, 0u);
  EXPECT_LE(c.latency_p50_us, c.latency_p99_us);
  ASSERT_TRUE(client.close().ok());
}

// The lookup's metrics, in a scope of its operator's group, exported as
// nagare_lookup_*: for a, a, b, c, a, c with c not in the table, the cache
// misses a, b and c (each one round trip) and answers the other three.
TEST(lookup, metrics_count_hits_misses_and_round_trips) {
  auto t = std::make_shared<fake_table>();
  t->rows = {{"a", "1"}, {"b", "2"}};
  detail::lookup_client client(config_of(t));
  subtask_info info;
  info.metrics = std::make_shared<metric_group>(metric_group::labels{{"operator", "enrich"}});
  ASSERT_TRUE(client.open(info).ok());
  for (const char* key : {"a", "a", "b", "c", "a", "c"}) lookup_one(client, key);
  ASSERT_TRUE(client.close().ok());
  auto scopes = info.metrics->scopes();
  ASSERT_EQ(scopes.size(), 1u);
  auto text = prometheus_text(scopes);
  for (const char* sample : {"nagare_lookup_cache_hits_total{operator=\"enrich\"} 3\n",
                             "nagare_lookup_cache_misses_total{operator=\"enrich\"} 3\n",
                             "nagare_lookup_round_trips_total{operator=\"enrich\"} 3\n",
                             "nagare_lookup_keys_not_found_total{operator=\"enrich\"} 1\n",
                             "nagare_lookup_round_trip_failures_total{operator=\"enrich\"} 0\n",
                             "nagare_lookup_round_trip_seconds_count{operator=\"enrich\"} 3\n",
                             "nagare_lookup_cache_entries{operator=\"enrich\"} 3\n"})
    EXPECT_NE(text.find(sample), std::string::npos) << sample << " in\n" << text;
}

TEST(lookup, misses_are_not_cached_when_told_so) {
  auto t = std::make_shared<fake_table>();
  auto c = config_of(t);
  c->cache_misses = false;
  detail::lookup_client client(c);
  ASSERT_TRUE(client.open(subtask_info{}).ok());
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(lookup_one(client, "nobody").value);
  EXPECT_EQ(client.counters().misses, 3u);
  EXPECT_EQ(client.counters().hits, 0u);
}

TEST(lookup, queued_keys_share_a_round_trip) {
  auto t = std::make_shared<fake_table>();
  t->rows["a"] = "1";
  detail::lookup_client client(config_of(t));
  auto q = std::make_shared<detail::completion_queue<detail::lookup_value>>(nullptr);
  {
    std::lock_guard<std::mutex> hold(t->mutex);  // the I/O thread waits on its first read
    ASSERT_TRUE(client.open(subtask_info{}).ok());
    for (int i = 0; i < 50; ++i)
      client.start(i == 0 ? "a" : "k" + std::to_string(i % 5),
                   async_result<detail::lookup_value>(q, i, 1));
  }
  for (int i = 0; i < 5000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::lock_guard<std::mutex> lock(t->mutex);
    size_t keys = 0;
    for (auto n : t->reads) keys += n;
    if (keys > 0 && !q->empty()) break;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<detail::completion_queue<detail::lookup_value>::completion> got;
  q->take(got);
  EXPECT_EQ(got.size(), 50u);
  // At most two reads (the first key may go alone); distinct keys once each.
  std::lock_guard<std::mutex> lock(t->mutex);
  EXPECT_LE(t->reads.size(), 2u);
  size_t keys = 0;
  for (auto n : t->reads) keys += n;
  EXPECT_LE(keys, 12u);  // 6 distinct keys, at most twice
}

TEST(lookup, a_failed_round_trip_fails_its_lookups_and_is_counted) {
  auto t = std::make_shared<fake_table>();
  t->down = true;
  detail::lookup_client client(config_of(t));
  ASSERT_TRUE(client.open(subtask_info{}).ok());
  auto q = std::make_shared<detail::completion_queue<detail::lookup_value>>(nullptr);
  client.start("x", async_result<detail::lookup_value>(q, 0, 1));
  for (int i = 0; i < 5000 && q->empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<detail::completion_queue<detail::lookup_value>::completion> got;
  q->take(got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].ok);
  EXPECT_EQ(got[0].error.code(), errc::unavailable);
  EXPECT_EQ(client.counters().failures, 1u);
}

TEST(lookup_cache, evicts_the_least_recently_used_and_expires_after_write) {
  detail::lookup_cache cache(2, 100);
  cache.put("a", std::make_shared<const std::string>("1"), 0);
  cache.put("b", nullptr, 0);  // not in the table, cached
  ASSERT_NE(cache.find("b", 0), nullptr);
  EXPECT_EQ(*cache.find("b", 0), nullptr);
  ASSERT_NE(cache.find("a", 10), nullptr);                       // a is now the most recent
  ASSERT_NE(cache.find("a", 10), nullptr);                       // a is the most recent again
  cache.put("c", std::make_shared<const std::string>("3"), 20);  // evicts b
  EXPECT_EQ(cache.find("b", 20), nullptr);
  ASSERT_NE(cache.find("a", 99), nullptr);
  EXPECT_EQ(**cache.find("a", 99), "1");
  EXPECT_EQ(cache.find("a", 100), nullptr);  // written at 0, ttl 100
  ASSERT_NE(cache.find("c", 119), nullptr);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(lookup_table, options_are_checked) {
  auto bad = lookup_table::from_uri("redis://127.0.0.1:6379?hash=h&cache=-1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("option cache must be a whole number"), std::string::npos);
  auto order = lookup_table::from_uri("redis://127.0.0.1:6379?hash=h&order=sideways");
  ASSERT_FALSE(order.ok());
  EXPECT_NE(order.error().message().find("must be ordered|unordered"), std::string::npos);
  auto stream = lookup_table::from_uri("redis://127.0.0.1:6379/events");
  ASSERT_FALSE(stream.ok());
  auto file = lookup_table::from_uri("/tmp/x");
  ASSERT_FALSE(file.ok());
  auto ok = lookup_table::from_uri(
      "redis://"
      "127.0.0.1:6379?hash=h&cache=10&ttl=5&in_flight=7&order=unordered&on_failure=default");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->async().capacity(), 7u);
  EXPECT_FALSE(ok->async().is_ordered());
  EXPECT_EQ(ok->async().failure(), failure_action::emit_default);
  EXPECT_EQ(ok->config()->cache_entries, 10u);
  EXPECT_EQ(ok->config()->ttl_ms, 5u);
}

}  // namespace
}  // namespace nagare
