// nagare/metrics.hpp, the metric registry and the Prometheus text format.
#include "nagare/metrics.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "metrics/metric_registry.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/prometheus_text.hpp"

namespace nagare {
namespace {

// Bucket bounds are inclusive (Prometheus's le): a value equal to a bound
// counts in its bucket; counts are cumulative and end with +Inf.
TEST(metrics, histogram_buckets_are_cumulative_and_inclusive) {
  histogram h({1, 2, 4});
  for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 9.0}) h.observe(v);
  auto s = h.read();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 6, 7}));
  EXPECT_EQ(s.count(), 7u);
  EXPECT_DOUBLE_EQ(s.sum, 21.0);
  EXPECT_EQ(histogram::exponential(0.001, 2, 4), (std::vector<double>{0.001, 0.002, 0.004, 0.008}));
}

// Registering a name again returns the same metric; another kind under a
// taken name gets its kind appended; invalid characters become '_'.
TEST(metrics, registration_is_idempotent_and_never_fails) {
  metric_group g(metric_group::labels{{"job", "j"}});
  auto& a = g.counter("records.skipped", "skipped");
  a.inc(3);
  auto& b = g.counter("records.skipped", "skipped");
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(b.value(), 3u);
  auto& other = g.gauge("records.skipped", "as a gauge");
  other.set(1.5);
  auto entries = g.entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "records_skipped");
  EXPECT_EQ(entries[1].name, "records_skipped_gauge");
  EXPECT_EQ(g.counter("9lives", "x").value(), 0u);
  EXPECT_EQ(g.entries().back().name, "_9lives");
}

// A meter's rate covers the samples of the last minute, at most one a second.
TEST(metrics, meter_rate_over_the_last_minute) {
  metric_group g;
  auto& m = g.meter("events", "events");
  g.refresh(1000.0);
  EXPECT_EQ(m.rate(), 0.0) << "one sample: no rate yet";
  m.mark(100);
  g.refresh(1001.0);
  EXPECT_DOUBLE_EQ(m.rate(), 100.0);
  m.mark(50);
  g.refresh(1001.5);  // within the second: no new sample, the rate so far
  EXPECT_DOUBLE_EQ(m.rate(), 150.0 / 1.5);
  g.refresh(1002.0);
  EXPECT_DOUBLE_EQ(m.rate(), 75.0);
  // 100 more seconds at 10 events a second: the old burst leaves the window.
  for (int t = 1003; t <= 1102; ++t) {
    m.mark(10);
    g.refresh(static_cast<double>(t));
  }
  EXPECT_DOUBLE_EQ(m.rate(), 10.0);
  EXPECT_EQ(m.count(), 150u + 1000u);
}

TEST(metrics, on_refresh_functions_run_with_the_time) {
  metric_group g;
  auto& lag = g.gauge("lag_seconds", "lag");
  g.on_refresh([&lag](double now) { lag.set(now - 100); });
  g.refresh(130);
  EXPECT_EQ(lag.value(), 30);
}

// The exposition of two groups: families sorted by name, one HELP and TYPE
// each, a sample per group with its labels escaped.
TEST(metrics, prometheus_text_of_two_groups) {
  metric_registry reg(metric_group::labels{{"node", "n1"}});
  auto a = reg.group({{"job", "wc"}, {"subtask", "0"}}, "nagare_test_");
  auto b = reg.group({{"job", "say \"hi\"\n"}, {"subtask", "1"}}, "nagare_test_");
  a->counter("records", "Records seen").inc(5);
  b->counter("records", "Records seen").inc(7);
  a->gauge("lag_seconds", "Lag").set(0.25);
  a->histogram("latency_seconds", "Latency", {0.1, 1}).observe(0.5);
  a->counter("busy_seconds", "Busy", 1e-9).inc(1500000000);
  auto& m = a->meter("polls", "Polls");
  m.mark(4);
  EXPECT_EQ(
      prometheus_text(reg.groups()),
      "# HELP nagare_test_busy_seconds_total Busy\n"
      "# TYPE nagare_test_busy_seconds_total counter\n"
      "nagare_test_busy_seconds_total{node=\"n1\",job=\"wc\",subtask=\"0\"} 1.5\n"
      "# HELP nagare_test_lag_seconds Lag\n"
      "# TYPE nagare_test_lag_seconds gauge\n"
      "nagare_test_lag_seconds{node=\"n1\",job=\"wc\",subtask=\"0\"} 0.25\n"
      "# HELP nagare_test_latency_seconds Latency\n"
      "# TYPE nagare_test_latency_seconds histogram\n"
      "nagare_test_latency_seconds_bucket{node=\"n1\",job=\"wc\",subtask=\"0\",le=\"0.1\"} 0\n"
      "nagare_test_latency_seconds_bucket{node=\"n1\",job=\"wc\",subtask=\"0\",le=\"1\"} 1\n"
      "nagare_test_latency_seconds_bucket{node=\"n1\",job=\"wc\",subtask=\"0\",le=\"+Inf\"} 1\n"
      "nagare_test_latency_seconds_sum{node=\"n1\",job=\"wc\",subtask=\"0\"} 0.5\n"
      "nagare_test_latency_seconds_count{node=\"n1\",job=\"wc\",subtask=\"0\"} 1\n"
      "# HELP nagare_test_polls_per_second Polls (per second over the last minute)\n"
      "# TYPE nagare_test_polls_per_second gauge\n"
      "nagare_test_polls_per_second{node=\"n1\",job=\"wc\",subtask=\"0\"} 0\n"
      "# HELP nagare_test_polls_total Polls\n"
      "# TYPE nagare_test_polls_total counter\n"
      "nagare_test_polls_total{node=\"n1\",job=\"wc\",subtask=\"0\"} 4\n"
      "# HELP nagare_test_records_total Records seen\n"
      "# TYPE nagare_test_records_total counter\n"
      "nagare_test_records_total{node=\"n1\",job=\"wc\",subtask=\"0\"} 5\n"
      "nagare_test_records_total{node=\"n1\",job=\"say \\\"hi\\\"\\n\",subtask=\"1\"} 7\n");
}

// A group leaves the export when its owner drops it.
TEST(metrics, registry_exports_live_groups_only) {
  metric_registry reg;
  auto keep = reg.group({{"task", "a"}});
  auto drop = reg.group({{"task", "b"}});
  EXPECT_EQ(reg.groups().size(), 2u);
  drop.reset();
  ASSERT_EQ(reg.groups().size(), 1u);
  EXPECT_EQ(reg.groups()[0]->label_set()[0].second, "a");
}

// One writer, one reader on another thread: the reader sees a count that
// never goes back, and the writer's total in the end.
TEST(metrics, a_reader_thread_sees_the_writers_counts) {
  counter c;
  constexpr uint64_t n = 2000000;
  std::atomic<bool> done{false};
  bool monotonic = true;
  std::thread reader([&] {
    uint64_t last = 0;
    while (!done.load()) {
      auto v = c.value();
      if (v < last) monotonic = false;
      last = v;
    }
  });
  for (uint64_t i = 0; i < n; ++i) c.inc();
  done = true;
  reader.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(c.value(), n);
}

// The process group reads /proc/self: an opened file shows in open_fds.
TEST(metrics, process_usage_counts_open_files) {
  auto before = read_process_usage();
  ASSERT_TRUE(before.has_value());
  EXPECT_GT(before->rss_bytes, 0u);
  EXPECT_GE(before->threads, 1u);
  int fds[3];
  for (auto& fd : fds) fd = open("/dev/null", O_RDONLY);
  auto after = read_process_usage();
  for (auto fd : fds) close(fd);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->open_files, before->open_files + 3);
  metric_registry reg;
  auto g = register_process_metrics(reg);
  reg.refresh();
  auto text = prometheus_text(reg.groups());
  EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos) << text;
  EXPECT_NE(text.find("process_cpu_seconds_total "), std::string::npos) << text;
}

}  // namespace
}  // namespace nagare
