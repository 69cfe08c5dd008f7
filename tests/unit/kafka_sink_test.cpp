// kafka_sink's writer driven through the sink contract (open, write,
// pre_commit, pending, commit, recover, close) against the test broker, with
// kcat as the independent client that reads the topic (read_committed) and
// produces what an earlier attempt would have left.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "kafka_broker.hpp"
#include "nagare/kafka_sink.hpp"
#include "nagare/tuple.hpp"
#include "process.hpp"

namespace nagare {
namespace {

using testing::kafka_broker;

#define ASSERT_OK(expr)                     \
  do {                                      \
    auto st_ = (expr);                      \
    ASSERT_TRUE(st_.ok()) << st_.message(); \
  } while (false)

// Records are "KEY<TAB>VALUE" (keyed) or "VALUE".
void split_key(const std::string& r, kafka_output_record& out) {
  auto tab = r.find('\t');
  if (tab == std::string::npos) {
    out.value = r;
  } else {
    out.key = r.substr(0, tab);
    out.value = r.substr(tab + 1);
  }
}

kafka_sink<std::string> sink_to(const kafka_broker& b, const std::string& topic,
                                kafka_delivery d = kafka_delivery::exactly_once) {
  return kafka_sink<std::string>({b.bootstrap(), {}}, topic, split_key).delivery(d);
}

subtask_info task(uint32_t subtask, uint32_t parallelism, uint64_t restored = 0,
                  uint32_t attempt = 0) {
  subtask_info i;
  i.task_name = "sink (" + std::to_string(subtask + 1) + "/" + std::to_string(parallelism) + ")";
  i.subtask = subtask;
  i.parallelism = parallelism;
  i.restored_checkpoint = restored;
  i.attempt = attempt;
  return i;
}

struct message {
  int partition;
  std::string key, value;
};

std::vector<message> read_topic(const kafka_broker& b, const std::string& topic) {
  std::vector<message> out;
  for (const auto& line : b.consume(topic)) {
    std::stringstream in(line);
    std::string p, offset, key, value;
    std::getline(in, p, '\t');
    std::getline(in, offset, '\t');
    std::getline(in, key, '\t');
    std::getline(in, value);
    out.push_back({std::stoi(p), key, value});
  }
  return out;
}

std::multiset<std::string> values_of(const kafka_broker& b, const std::string& topic) {
  std::multiset<std::string> out;
  for (const auto& m : read_topic(b, topic)) out.insert(m.value);
  return out;
}

std::vector<std::string> numbered(const std::string& prefix, int from, int to, bool keyed) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i)
    out.push_back((keyed ? "key" + std::to_string(i % 5) + "\t" : "") + prefix + std::to_string(i));
  return out;
}

std::multiset<std::string> values(const std::vector<std::vector<std::string>>& records) {
  std::multiset<std::string> out;
  for (const auto& rs : records)
    for (const auto& r : rs) out.insert(r.substr(r.find('\t') + 1));
  return out;
}

void write_all(sink<std::string>& s, const std::vector<std::string>& records) {
  for (const auto& r : records) ASSERT_OK(s.write(r));
}

// A pending transaction as the header documents it (kafka_sink_support.hpp).
using record_tuple = std::tuple<int32_t, std::optional<std::string>, std::string>;
using entry_tuple = std::tuple<std::string, uint32_t, uint64_t,
                               std::vector<std::pair<int32_t, int64_t>>, std::vector<record_tuple>>;

entry_tuple decode_entry(const std::string& e) {
  entry_tuple t;
  byte_reader in(e.data(), e.size());
  EXPECT_TRUE(codec<entry_tuple>::decode(in, t) && in.remaining() == 0);
  return t;
}

// Produces records [0, n) of a pending transaction with kcat, headers and
// partitions as the sink would: what a crashed commit left.
void produce_prefix(const kafka_broker& b, const std::string& topic, const entry_tuple& t,
                    size_t n) {
  testing::temp_dir dir;
  const auto& records = std::get<4>(t);
  for (size_t i = 0; i < n; ++i) {
    const auto& [partition, key, value] = records[i];
    testing::write_file(dir / "in", (key ? *key + "\t" : "") + value + "\n");
    std::vector<std::string> argv = {"/usr/bin/kcat",
                                     "-P",
                                     "-b",
                                     b.bootstrap(),
                                     "-t",
                                     topic,
                                     "-p",
                                     std::to_string(partition),
                                     "-H",
                                     "nagare-txn=" + std::get<0>(t),
                                     "-H",
                                     "nagare-seq=" + std::to_string(i),
                                     "-l",
                                     dir / "in"};
    if (key) argv.push_back("-K\t");
    auto r = testing::run_process(argv, std::chrono::seconds(30));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

// Exactly once: nothing reaches the topic before the checkpoint completed;
// commit(N) writes the transactions of N and earlier, each record once.
TEST(kafka_sink, exactly_once_writes_only_at_commit) {
  kafka_broker b({"out:3"});
  auto w = sink_to(b, "out").create();
  ASSERT_OK(w->open(task(0, 1)));
  auto first = numbered("a", 0, 10, true), second = numbered("b", 0, 7, false);
  write_all(*w, first);
  ASSERT_OK(w->pre_commit(1));
  write_all(*w, second);
  ASSERT_OK(w->pre_commit(2));
  std::vector<std::string> pending;
  w->pending(pending);
  EXPECT_EQ(pending.size(), 2u);
  EXPECT_TRUE(read_topic(b, "out").empty());
  ASSERT_OK(w->commit(1));
  EXPECT_EQ(values_of(b, "out"), values({first}));
  pending.clear();
  w->pending(pending);
  EXPECT_EQ(pending.size(), 1u);
  ASSERT_OK(w->commit(2));
  EXPECT_EQ(values_of(b, "out"), values({first, second}));
  ASSERT_OK(w->commit(3));  // nothing pending: nothing written
  ASSERT_OK(w->close());
  EXPECT_EQ(values_of(b, "out"), values({first, second}));
}

// A restore from checkpoint 1 whose transaction the previous attempt wrote
// not at all, half, or wholly: afterwards every record is there once.
class kafka_sink_recover : public ::testing::TestWithParam<int> {};  // records written / 2

TEST_P(kafka_sink_recover, writes_each_record_once) {
  kafka_broker b({"out:3"});
  auto records = numbered("r", 0, 8, true);
  std::vector<std::string> entries;
  {
    auto w = sink_to(b, "out").create();
    ASSERT_OK(w->open(task(0, 1)));
    write_all(*w, records);
    ASSERT_OK(w->pre_commit(1));
    w->pending(entries);
    ASSERT_EQ(entries.size(), 1u);
    if (GetParam() == 2) {
      ASSERT_OK(w->commit(1));
    }
    write_all(*w, numbered("lost", 0, 3, false));  // after the barrier: replayed, never written
    // The attempt dies here (no close).
  }
  if (GetParam() == 1) produce_prefix(b, "out", decode_entry(entries[0]), records.size() / 2);
  auto w = sink_to(b, "out").create();
  ASSERT_OK(w->open(task(0, 1, 1, 1)));
  ASSERT_OK(w->recover(entries, 1, task(0, 1, 1, 1)));
  EXPECT_EQ(values_of(b, "out"), values({records}));
  // A second restore from the same checkpoint (the first one's attempt
  // failed too) writes nothing more.
  auto again = sink_to(b, "out").create();
  ASSERT_OK(again->open(task(0, 1, 1, 2)));
  ASSERT_OK(again->recover(entries, 1, task(0, 1, 1, 2)));
  auto more = numbered("s", 0, 4, false);
  write_all(*again, more);
  ASSERT_OK(again->pre_commit(2));
  ASSERT_OK(again->commit(2));
  ASSERT_OK(again->close());
  EXPECT_EQ(values_of(b, "out"), values({records, more}));
}

INSTANTIATE_TEST_SUITE_P(written, kafka_sink_recover, ::testing::Values(0, 1, 2),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(p.param == 0   ? "nothing"
                                              : p.param == 1 ? "half"
                                                             : "everything");
                         });

// The fault point in the middle of a real commit: a child process commits
// with NAGARE_FAULT set and dies after half the records were delivered; the
// restore writes the rest.
TEST(kafka_sink, crash_in_the_middle_of_a_commit) {
  kafka_broker b({"out:2"});
  testing::temp_dir dir;
  auto records = numbered("m", 0, 10, false);
  testing::write_file(dir / "fault", "");
  pid_t child = ::fork();
  if (child == 0) {
    ::setenv("NAGARE_FAULT", ("kafka-sink-commit:middle:" + (dir / "fault")).c_str(), 1);
    auto w = sink_to(b, "out").create();
    if (!w->open(task(0, 1)).ok()) ::_exit(1);
    for (const auto& r : records) (void)w->write(r);
    if (!w->pre_commit(1).ok()) ::_exit(2);
    std::vector<std::string> entries;
    w->pending(entries);
    std::ofstream(dir / "entries") << encode(entries);
    (void)w->commit(1);
    ::_exit(3);  // the fault point did not fire
  }
  int st = 0;
  ASSERT_EQ(::waitpid(child, &st, 0), child);
  ASSERT_TRUE(WIFEXITED(st));
  ASSERT_EQ(WEXITSTATUS(st), 86);
  EXPECT_EQ(::access((dir / "fault").c_str(), F_OK), -1);  // removed: fires once
  EXPECT_EQ(values_of(b, "out").size(), records.size() / 2);
  std::ifstream in(dir / "entries");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> entries;
  byte_reader r(bytes.data(), bytes.size());
  ASSERT_TRUE(codec<std::vector<std::string>>::decode(r, entries));
  auto w = sink_to(b, "out").create();
  ASSERT_OK(w->open(task(0, 1, 1, 1)));
  ASSERT_OK(w->recover(entries, 1, task(0, 1, 1, 1)));
  ASSERT_OK(w->close());
  EXPECT_EQ(values_of(b, "out"), values({records}));
}

// Rescaling from 2 subtasks to 1: the one subtask completes both old ones'
// transactions (one committed before, one not).
TEST(kafka_sink, recover_takes_over_the_transactions_of_removed_subtasks) {
  kafka_broker b({"out:4"});
  std::vector<std::string> entries;
  auto r0 = numbered("x", 0, 6, true), r1 = numbered("y", 0, 5, false);
  {
    auto w0 = sink_to(b, "out").create();
    auto w1 = sink_to(b, "out").create();
    ASSERT_OK(w0->open(task(0, 2)));
    ASSERT_OK(w1->open(task(1, 2)));
    write_all(*w0, r0);
    write_all(*w1, r1);
    ASSERT_OK(w0->pre_commit(4));
    ASSERT_OK(w1->pre_commit(4));
    w0->pending(entries);
    w1->pending(entries);
    ASSERT_OK(w1->commit(4));
  }
  auto w = sink_to(b, "out").create();
  ASSERT_OK(w->open(task(0, 1, 4, 1)));
  ASSERT_OK(w->recover(entries, 2, task(0, 1, 4, 1)));
  EXPECT_EQ(values_of(b, "out"), values({r0, r1}));
}

// At least once: pre_commit returns once everything written was delivered;
// none: close does.
TEST(kafka_sink, at_least_once_flushes_at_the_barrier_and_none_at_close) {
  kafka_broker b({"alo:2", "none:2"});
  auto records = numbered("v", 0, 50, true);
  auto alo = sink_to(b, "alo", kafka_delivery::at_least_once).create();
  ASSERT_OK(alo->open(task(0, 1)));
  ASSERT_OK(alo->recover({}, 0, task(0, 1)));
  write_all(*alo, records);
  ASSERT_OK(alo->pre_commit(1));
  EXPECT_EQ(values_of(b, "alo"), values({records}));  // no commit needed
  std::vector<std::string> pending;
  alo->pending(pending);
  EXPECT_TRUE(pending.empty());
  ASSERT_OK(alo->close());
  auto none = sink_to(b, "none", kafka_delivery::none).create();
  ASSERT_OK(none->open(task(0, 1)));
  write_all(*none, records);
  ASSERT_OK(none->close());
  EXPECT_EQ(values_of(b, "none"), values({records}));
}

// A key lands in the partition where kcat (librdkafka's default
// partitioner) puts the same key; records without a key go round robin.
TEST(kafka_sink, keys_land_where_librdkafka_puts_them) {
  kafka_broker b({"keys:5"});
  std::vector<std::string> keys, mine, theirs;
  for (int i = 0; i < 40; ++i) {
    keys.push_back("user-" + std::to_string(i * 7919));
    mine.push_back(keys.back() + "\tnagare");
    theirs.push_back("kcat");
  }
  auto w = sink_to(b, "keys").create();
  ASSERT_OK(w->open(task(0, 1)));
  write_all(*w, mine);
  write_all(*w, numbered("free", 0, 10, false));
  ASSERT_OK(w->pre_commit(1));
  ASSERT_OK(w->commit(1));
  ASSERT_OK(w->close());
  b.produce("keys", theirs, -1, keys);
  std::map<std::string, int> nagare_at, kcat_at;
  std::map<int, int> free_per_partition;
  for (const auto& m : read_topic(b, "keys")) {
    if (m.value == "nagare") nagare_at[m.key] = m.partition;
    if (m.value == "kcat") kcat_at[m.key] = m.partition;
    if (m.value.rfind("free", 0) == 0) ++free_per_partition[m.partition];
  }
  EXPECT_EQ(nagare_at.size(), keys.size());
  EXPECT_EQ(nagare_at, kcat_at);
  std::set<int> used;
  for (const auto& [k, p] : nagare_at) used.insert(p);
  EXPECT_GT(used.size(), 1u);
  EXPECT_EQ(free_per_partition, (std::map<int, int>{{0, 2}, {1, 2}, {2, 2}, {3, 2}, {4, 2}}));
}

bool one_line(const status& st) { return st.message().find('\n') == std::string::npos; }

// validate(): the topic must exist (and is not created by asking), the
// properties must make a producer that keeps the guarantee; one-line errors.
TEST(kafka_sink, validate_errors_are_one_line) {
  kafka_broker b({"there:1"});
  EXPECT_TRUE(sink_to(b, "there").validate().ok());
  auto missing = sink_to(b, "absent").validate();
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(one_line(missing));
  EXPECT_NE(missing.message().find("'absent' does not exist on " + b.bootstrap()),
            std::string::npos)
      << missing.message();
  EXPECT_FALSE(sink_to(b, "absent").validate().ok());  // asking did not create it

  auto with = [&](std::string name, std::string value, kafka_delivery d) {
    return kafka_sink<std::string>({b.bootstrap(), {{name, value}}}, "there", split_key)
        .delivery(d)
        .validate();
  };
  auto bad = with("linger.ms", "soon", kafka_delivery::exactly_once);
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(one_line(bad));
  EXPECT_NE(bad.message().find("linger.ms"), std::string::npos) << bad.message();
  auto unsafe = with("enable.idempotence", "false", kafka_delivery::exactly_once);
  EXPECT_FALSE(unsafe.ok());
  EXPECT_NE(unsafe.message().find("enable.idempotence"), std::string::npos) << unsafe.message();
  EXPECT_FALSE(with("enable.idempotence", "false", kafka_delivery::at_least_once).ok());
  EXPECT_TRUE(with("enable.idempotence", "false", kafka_delivery::none).ok());
  auto txn = with("transactional.id", "mine", kafka_delivery::exactly_once);
  EXPECT_FALSE(txn.ok());
  EXPECT_NE(txn.message().find("transactional_id_prefix"), std::string::npos) << txn.message();
  EXPECT_FALSE(with("partitioner", "bogus", kafka_delivery::exactly_once).ok());
  EXPECT_TRUE(with("partitioner", "murmur2_random", kafka_delivery::exactly_once).ok());
}

TEST(kafka_sink, declares_its_guarantee) {
  kafka_connection c{"127.0.0.1:1", {}};
  auto s = kafka_sink<std::string>(c, "t", split_key);
  EXPECT_EQ(s.guarantee(), delivery_guarantee::exactly_once);
  EXPECT_EQ(s.delivery(kafka_delivery::at_least_once).guarantee(),
            delivery_guarantee::at_least_once);
  EXPECT_EQ(s.delivery(kafka_delivery::none).guarantee(), delivery_guarantee::none);
  // --at-least-once checkpoints cap exactly-once only.
  EXPECT_EQ(capped(delivery_guarantee::exactly_once, true), delivery_guarantee::at_least_once);
  EXPECT_EQ(capped(delivery_guarantee::none, true), delivery_guarantee::none);
  EXPECT_EQ(capped(delivery_guarantee::exactly_once, false), delivery_guarantee::exactly_once);
  EXPECT_STREQ(to_string(delivery_guarantee::none), "none");
}

}  // namespace
}  // namespace nagare

namespace nagare {
namespace {

// Figures, not checks: how fast a commit and a restore's read-back run
// through the test broker (the mock limits them, see KAFKA notes in docs).
TEST(kafka_sink, commit_and_recovery_rates_are_reported) {
  kafka_broker b({"rate:4"});
  const int n = 100000;
  auto records = numbered("value-", 0, n, true);
  std::vector<std::string> entries;
  auto w = sink_to(b, "rate").create();
  ASSERT_OK(w->open(task(0, 1)));
  auto t0 = std::chrono::steady_clock::now();
  write_all(*w, records);
  ASSERT_OK(w->pre_commit(1));
  w->pending(entries);
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_OK(w->commit(1));
  auto t2 = std::chrono::steady_clock::now();
  ASSERT_OK(w->close());
  auto again = sink_to(b, "rate").create();
  ASSERT_OK(again->open(task(0, 1, 1, 1)));
  ASSERT_OK(again->recover(entries, 1, task(0, 1, 1, 1)));
  auto t3 = std::chrono::steady_clock::now();
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::printf(
      "kafka_sink, %d records of ~12 bytes, 4 partitions: buffer+seal %.0f rec/s, "
      "commit %.0f msg/s, restore read-back (all written) %.0f msg/s\n",
      n, n / secs(t0, t1), n / secs(t1, t2), n / secs(t2, t3));
}

}  // namespace
}  // namespace nagare
