// The bundled jobs on Kafka, with real processes: the test broker
// (librdkafka's mock cluster in a process of its own), kcat as the
// independent producer and consumer, and a coordinator with two node
// processes. Each partition of an input topic is one "file" of the
// independent references: its messages are the lines of a generated text.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "cluster.hpp"
#include "job_waits.hpp"
#include "kafka_broker.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"
#include "text_lines.hpp"
#include "window_input.hpp"
#include "window_reference.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> slow_options() { return slow_job_options("fixed-delay:200:10"); }

// The lines of `text` as messages: without "\r" (a file source strips it, a
// message keeps it) and without empty lines; and the text they make again.
std::vector<std::string> messages_of(const std::string& text, std::string& normalized) {
  std::vector<std::string> out;
  for (auto& line : lines_of(text))
    if (!line.empty()) out.push_back(line);
  normalized.clear();
  for (const auto& m : out) normalized += m + "\n";
  return out;
}

// Produces texts[i] into partition i of `topic`; returns the texts as the
// references must read them.
std::vector<std::string> produce_partitions(const kafka_broker& k, const std::string& topic,
                                            const std::vector<std::string>& texts) {
  std::vector<std::string> normalized(texts.size());
  for (size_t i = 0; i < texts.size(); ++i)
    k.produce(topic, messages_of(texts[i], normalized[i]), static_cast<int>(i));
  return normalized;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// window_count from a 4-partition topic into a topic, exactly-once, on two
// node processes; node 1 is killed with SIGKILL once two checkpoints are
// complete. The output topic, read with read_committed, holds exactly the
// failure-free windows.
TEST(kafka_jobs, window_count_topic_to_topic_survives_a_node_kill) {
  kafka_broker k({"in:4", "out:4", "out-late:1", "out-dead-letter:1"});
  test_cluster c(2, 2);
  std::vector<std::string> texts;
  for (uint32_t i = 0; i < 4; ++i) {
    window_input_options o;
    o.seed = 500 + i;
    o.lines = 6000;
    o.spec = window_spec::tumbling(10000);
    o.bound = 1000;
    o.behind = 0.3;
    o.malformed = 0.01;
    o.keys = 40;
    texts.push_back(generate_window_input(o));
  }
  texts = produce_partitions(k, "in", texts);
  auto expected = expected_windows(texts, window_spec::tumbling(10000), 1000, 0);
  ASSERT_EQ(expected.invalid, "");
  ASSERT_GT(expected.malformed, 0u);

  auto id = c.submit(job_library("window_count"), slow_options(),
                     {"--input", k.uri("in", "stop=latest"), "--output", k.uri("out"), "--window",
                      "tumbling:10000", "--out-of-orderness", "1000"});
  ASSERT_TRUE(await_checkpoints(c, id, 2)) << c.coordinator_process().log();
  c.node(1).kill9();
  expect_finished(c, id);
  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("restarting (attempt 1) from checkpoint "), std::string::npos) << log;

  auto diff = multiset_difference(expected.results, k.values("out"));
  EXPECT_TRUE(diff.empty()) << "windows: " << diff;
  EXPECT_TRUE(k.values("out-late").empty());
  EXPECT_EQ(k.values("out-dead-letter").size(), expected.malformed);
}

// running_sum from a 4-partition topic into a topic with a node killed: every
// running sum once, in the partition's order per key; output messages are
// keyed by the record's key, so a key's sums share one partition.
TEST(kafka_jobs, running_sum_topic_to_topic_survives_a_node_kill) {
  kafka_broker k({"in:4", "out:4", "out-dead-letter:1"});
  test_cluster c(2, 2);
  std::vector<std::string> texts;
  for (uint32_t i = 0; i < 4; ++i) texts.push_back(generate_running_sum_input(77, i, 5000));
  texts = produce_partitions(k, "in", texts);
  uint64_t malformed = 0;
  auto expected = expected_running_sums(texts, &malformed);

  auto id = c.submit(job_library("running_sum"), slow_options(),
                     {"--input", k.uri("in", "stop=latest"), "--output", k.uri("out")});
  ASSERT_TRUE(await_checkpoints(c, id, 2)) << c.coordinator_process().log();
  c.node(1).kill9();
  expect_finished(c, id);

  auto diff = multiset_difference(expected, k.values("out"));
  EXPECT_TRUE(diff.empty()) << "sums: " << diff;
  std::map<std::string, std::set<std::string>> partitions_of_key;
  for (const auto& line : k.consume("out")) {  // PARTITION<TAB>OFFSET<TAB>KEY<TAB>VALUE
    auto first = line.find('\t'), second = line.find('\t', first + 1);
    auto third = line.find('\t', second + 1);
    partitions_of_key[line.substr(second + 1, third - second - 1)].insert(line.substr(0, first));
  }
  for (const auto& [key, partitions] : partitions_of_key)
    EXPECT_EQ(partitions.size(), 1u) << "key " << key;
  EXPECT_EQ(k.values("out-dead-letter").size(), malformed);
}

// at-least-once output under a node kill: nothing is lost (records after the
// last checkpoint may be written again).
TEST(kafka_jobs, at_least_once_output_loses_nothing) {
  kafka_broker k({"in:4", "out:4", "out-dead-letter:1"});
  test_cluster c(2, 2);
  std::vector<std::string> texts;
  for (uint32_t i = 0; i < 4; ++i) texts.push_back(generate_running_sum_input(91, i, 4000));
  texts = produce_partitions(k, "in", texts);
  auto expected = expected_running_sums(texts);

  auto id = c.submit(
      job_library("running_sum"), slow_options(),
      {"--input", k.uri("in", "stop=latest"), "--output", k.uri("out", "delivery=at-least-once")});
  ASSERT_TRUE(await_checkpoints(c, id, 2)) << c.coordinator_process().log();
  c.node(1).kill9();
  expect_finished(c, id);

  auto got = k.values("out");
  std::map<std::string, int64_t> balance;  // expected minus written, per line
  for (const auto& e : expected) ++balance[e];
  for (const auto& g : got) --balance[g];
  size_t missing = 0, unexpected = 0;
  for (const auto& [line, n] : balance)
    if (n > 0)
      ++missing;
    else if (n < 0 && std::find(expected.begin(), expected.end(), line) == expected.end())
      ++unexpected;
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(unexpected, 0u);
  EXPECT_GE(got.size(), expected.size());
}

// A source reading every topic matching a pattern picks up a topic created
// while the job runs, from its beginning.
TEST(kafka_jobs, a_topic_matching_the_pattern_created_while_running_is_read) {
  kafka_broker k({"events-1:2"});
  test_cluster c(2, 2);
  k.produce("events-1", {"a,1", "b,2", "a,3"}, 0);  // one partition: a key's order is fixed
  auto out = c.dir() / "out";
  auto id =
      c.submit(job_library("running_sum"), {"--parallelism", "2", "--checkpoint-interval", "200"},
               {"--input", "kafka://" + k.bootstrap() + "/?pattern=events-.*", "--output", out});
  auto lines = [&] {
    std::error_code ec;
    return std::filesystem::is_directory(out, ec) ? sorted(read_result_lines(out))
                                                  : std::vector<std::string>{};
  };
  auto await_lines = [&](size_t n) {
    auto until = std::chrono::steady_clock::now() + 30s;
    while (lines().size() < n && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(50ms);
    return lines();
  };
  EXPECT_EQ(await_lines(3), (std::vector<std::string>{"a,1", "a,4", "b,2"}));
  k.create_topic("events-2:1");
  k.produce("events-2", {"c,10", "c,5"}, 0);
  EXPECT_EQ(await_lines(5), (std::vector<std::string>{"a,1", "a,4", "b,2", "c,10", "c,15"}));
  auto cancelled = c.client("cancel", {id});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.err;
}

// A source with a group commits the offsets of completed checkpoints to it;
// a later job starting at the group's committed offsets reads only what came
// after.
TEST(kafka_jobs, committed_offsets_let_a_later_job_start_where_one_ended) {
  kafka_broker k({"in:2"});
  temp_dir dir;
  k.produce("in", {"a,1", "b,2", "a,3"}, 0);  // one partition: a key's order is fixed
  auto run = [&](const std::string& out) {
    return run_process(
        {nagare_bin(), "run", job_library("running_sum"), "--checkpoint-interval", "100", "--",
         "--input", k.uri("in", "group=counting&start=committed&stop=latest"), "--output", out});
  };
  auto first = run(dir / "first");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(sorted(read_result_lines(dir / "first")),
            (std::vector<std::string>{"a,1", "a,4", "b,2"}));
  k.produce("in", {"c,7", "a,5"}, 0);
  auto second = run(dir / "second");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(sorted(read_result_lines(dir / "second")), (std::vector<std::string>{"a,5", "c,7"}));
}

// Malformed JSON and bytes that are not UTF-8 are dead letters, with their
// partition and offset and a count; the good events are counted.
TEST(kafka_jobs, malformed_json_and_non_utf8_messages_are_dead_letters) {
  kafka_broker k({"events:1"});
  temp_dir dir;
  const std::vector<std::string> bad = {"{\"key\":", "not json", "{\"key\":\"\xff\"}",
                                        "{\"nokey\":1}", "[1,2]"};
  std::vector<std::string> messages = {"{\"key\":\"a\"}",
                                       bad[0],
                                       "{\"key\":\"b\",\"n\":1}",
                                       bad[1],
                                       bad[2],
                                       "{\"key\":\"a\"}",
                                       bad[3],
                                       bad[4]};
  k.produce("events", messages, 0);
  auto run = run_process({nagare_bin(), "run", job_library("json_count"), "--", "--input",
                          k.uri("events", "stop=latest"), "--output", dir / "out"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find(", 5 dead letters,"), std::string::npos) << run.err;
  EXPECT_EQ(sorted(read_result_lines(dir / "out")), (std::vector<std::string>{"a\t2", "b\t1"}));
  // SPLIT<TAB>OFFSET<TAB>REASON<TAB>RECORD, in offset order once sorted by offset.
  std::map<uint64_t, std::pair<std::string, std::string>> letters;  // offset -> (reason, record)
  for (const auto& line : read_result_lines(dir / "out/_dead-letter")) {
    auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1), t3 = line.find('\t', t2 + 1);
    ASSERT_NE(t3, std::string::npos) << line;
    EXPECT_EQ(line.substr(0, t1), "events/0");
    letters[std::stoull(line.substr(t1 + 1, t2 - t1 - 1))] = {line.substr(t2 + 1, t3 - t2 - 1),
                                                              line.substr(t3 + 1)};
  }
  std::map<uint64_t, std::string> expected_offsets = {
      {1, bad[0]}, {3, bad[1]}, {4, bad[2]}, {6, bad[3]}, {7, bad[4]}};
  ASSERT_EQ(letters.size(), expected_offsets.size());
  for (const auto& [offset, record] : expected_offsets) {
    EXPECT_EQ(letters[offset].second, record) << "offset " << offset;
  }
  EXPECT_EQ(letters[4].first, "not valid UTF-8");
  EXPECT_EQ(letters[6].first, "field 'key' is missing");
  EXPECT_EQ(letters[3].first.rfind("not JSON: ", 0), 0u) << letters[3].first;
}

// Every broker down for 10 s in the middle of a run: the job waits or
// restarts, and once they are back the output holds every window once.
TEST(kafka_jobs, every_broker_down_for_ten_seconds_loses_and_duplicates_nothing) {
  kafka_broker k({"in:4", "out:4", "out-late:1", "out-dead-letter:1"}, 2);
  test_cluster c(2, 2);
  std::vector<std::string> texts;
  for (uint32_t i = 0; i < 4; ++i) {
    window_input_options o;
    o.seed = 700 + i;
    o.lines = 6000;
    o.spec = window_spec::tumbling(5000);
    o.bound = 1000;
    o.behind = 0.2;
    o.keys = 30;
    texts.push_back(generate_window_input(o));
  }
  texts = produce_partitions(k, "in", texts);
  auto expected = expected_windows(texts, window_spec::tumbling(5000), 1000, 0);
  ASSERT_EQ(expected.invalid, "");

  auto id = c.submit(job_library("window_count"), slow_options(),
                     {"--input", k.uri("in", "stop=latest"), "--output", k.uri("out"), "--window",
                      "tumbling:5000", "--out-of-orderness", "1000"});
  ASSERT_TRUE(await_checkpoints(c, id, 2)) << c.coordinator_process().log();
  k.down("all");
  std::this_thread::sleep_for(10s);
  k.up("all");
  expect_finished(c, id, 180s);
  auto diff = multiset_difference(expected.results, k.values("out"));
  EXPECT_TRUE(diff.empty()) << "windows: " << diff;
}

}  // namespace
}  // namespace nagare::testing
