// The Kafka source's consumer lag (nagare_kafka_consumer_lag, per topic and
// partition) against the test broker: the partition's end minus the next
// offset the source reads, as it reads.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kafka_broker.hpp"
#include "metrics/prometheus_text.hpp"
#include "nagare/codec.hpp"
#include "nagare/kafka_source.hpp"
#include "nagare/metrics.hpp"

namespace nagare {
namespace {

using testing::kafka_broker;

struct counting_sink final : detail::kafka_message_sink {
  size_t messages = 0;
  void split(const std::string&) override {}
  void split_finished(const std::string&) override {}
  void message(const kafka_message&) override { ++messages; }
};

TEST(kafka_source_metrics, consumer_lag_is_what_is_left_to_read) {
  kafka_broker b({"lag:1"});
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) values.push_back("m" + std::to_string(i));
  b.produce("lag", values, 0);

  kafka_source_config config;
  config.connection = {b.bootstrap(), {}};
  config.topics = {"lag"};
  detail::kafka_consumer consumer(config);
  subtask_info info;
  info.task_name = "read (1/1)";
  info.metrics = std::make_shared<metric_group>(metric_group::labels{{"operator", "read"}});
  auto opened = consumer.open(info);
  ASSERT_TRUE(opened.ok()) << opened.message();
  consumer.add_splits({source_split{"lag/0", encode(int64_t{0}), std::nullopt}});

  const std::string lag =
      "nagare_kafka_consumer_lag{operator=\"read\",topic=\"lag\",partition=\"0\"} ";
  counting_sink sink;
  // Polls at most `max` messages at a time until `read` in all, then until
  // the lag reads `expected` (measured once a second).
  auto read_until = [&](size_t read, const std::string& expected) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::string text;
    while (std::chrono::steady_clock::now() < until) {
      bool end = false;
      auto st = consumer.poll(sink.messages < read ? read - sink.messages : 0, sink, end);
      EXPECT_TRUE(st.ok()) << st.message();
      text.clear();
      for (const auto& g : info.metrics->scopes()) text += prometheus_text({g});
      if (sink.messages == read && text.find(lag + expected + "\n") != std::string::npos)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "read " << sink.messages << " of " << read << ", lag not " << expected
                  << " in\n"
                  << text;
    return false;
  };
  EXPECT_TRUE(read_until(30, "70"));
  EXPECT_TRUE(read_until(100, "0"));
  EXPECT_EQ(sink.messages, 100u);
  ASSERT_TRUE(consumer.close().ok());
}

}  // namespace
}  // namespace nagare
