// The Redis sink through the sink contract against a private redis-server:
// exactly-once transactions visible only after commit and applied once
// (the fence) however often a restore applies them again, their owners
// after a rescale, at-least-once flushing at the barrier, and its URIs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nagare/redis_sink.hpp"
#include "servers.hpp"

namespace nagare {
namespace {

using strings = std::vector<std::string>;
using kv = std::pair<std::string, std::string>;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

redis_sink<kv> sink_of(const std::string& uri) {
  auto u = parse_connector_uri(uri);
  EXPECT_TRUE(u.ok()) << u.error().message();
  auto c = redis_output_of(u.value());
  EXPECT_TRUE(c.ok()) << c.error().message();
  return redis_sink<kv>(c.value(), [](const kv& r, redis_output_record& out) {
    out.key = r.first;
    out.value = r.second;
  });
}

subtask_info info_of(uint32_t subtask, uint32_t parallelism, uint64_t restored) {
  subtask_info info;
  info.task_name = "sink (" + std::to_string(subtask + 1) + "/" + std::to_string(parallelism) + ")";
  info.subtask = subtask;
  info.parallelism = parallelism;
  info.restored_checkpoint = restored;
  info.job_name = "job";
  return info;
}

// A writer opened and recovered from `entries` (a fresh start without).
owned<sink<kv>> start(const redis_sink<kv>& s, const subtask_info& info,
                      const strings& entries = {}, uint32_t previous_parallelism = 0) {
  auto w = s.create();
  EXPECT_TRUE(w->open(info).ok());
  auto st = w->recover(entries, previous_parallelism, info);
  EXPECT_TRUE(st.ok()) << st.message();
  return w;
}

// Written records appear only once their checkpoint is committed; a second
// commit and restores from the same pending transaction add nothing.
TEST(redis_sink, exactly_once_visible_at_commit_and_applied_once) {
  testing::redis_server server;
  auto s = sink_of("redis://" + server.address() + "/out");
  EXPECT_EQ(s.guarantee(), delivery_guarantee::exactly_once);
  auto w = start(s, info_of(0, 1, 0));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w->write({"", "r" + std::to_string(i)}).ok());
  ASSERT_TRUE(w->pre_commit(1).ok());
  EXPECT_EQ(trim(server.cli("XLEN out")), "0");
  strings pending;
  w->pending(pending);
  ASSERT_EQ(pending.size(), 1u);
  ASSERT_TRUE(w->commit(1).ok());
  EXPECT_EQ(trim(server.cli("XLEN out")), "3");
  EXPECT_EQ(trim(server.cli("GET nagare:fence:job:stream:out:0")), "1");
  auto first = server.cli("XRANGE out - + COUNT 1");  // field "line" for an empty key
  EXPECT_NE(first.find("line\nr0"), std::string::npos) << first;
  ASSERT_TRUE(w->commit(1).ok());
  ASSERT_TRUE(w->close().ok());
  for (int again = 0; again < 2; ++again) {  // restores from checkpoint 1's snapshot
    auto r = start(s, info_of(0, 1, 1), pending, 1);
    ASSERT_TRUE(r->close().ok());
  }
  EXPECT_EQ(trim(server.cli("XLEN out")), "3");
}

// A crash between the checkpoint and its commit: the restore applies the
// pending transaction, once, and the writer then goes on with new ones.
TEST(redis_sink, restore_applies_what_was_not_committed) {
  testing::redis_server server;
  auto s = sink_of("redis://" + server.address() + "?hash=totals");
  auto w = start(s, info_of(0, 1, 0));
  ASSERT_TRUE(w->write({"a", "1"}).ok());
  ASSERT_TRUE(w->write({"b", "2"}).ok());
  ASSERT_TRUE(w->pre_commit(4).ok());
  strings pending;
  w->pending(pending);
  w.reset();  // lost before commit(4)
  EXPECT_EQ(trim(server.cli("HLEN totals")), "0");
  auto r = start(s, info_of(0, 1, 4), pending, 1);
  EXPECT_EQ(trim(server.cli("HGET totals a")), "1");
  EXPECT_EQ(trim(server.cli("HGET totals b")), "2");
  ASSERT_TRUE(r->write({"a", "10"}).ok());
  ASSERT_TRUE(r->pre_commit(5).ok());
  ASSERT_TRUE(r->commit(5).ok());
  EXPECT_EQ(trim(server.cli("HGET totals a")), "10");
  // The old transaction applied once more (a later restore from 4): skipped.
  auto again = start(s, info_of(0, 1, 4), pending, 1);
  EXPECT_EQ(trim(server.cli("HGET totals a")), "10");
}

// After a rescale from 2 to 1, subtask 0 applies subtask 1's transaction
// under subtask 1's fence.
TEST(redis_sink, rescale_applies_under_the_original_fence) {
  testing::redis_server server;
  auto s = sink_of("redis://" + server.address() + "/out");
  strings pending;
  for (uint32_t sub = 0; sub < 2; ++sub) {
    auto w = start(s, info_of(sub, 2, 0));
    ASSERT_TRUE(w->write({"", "from-" + std::to_string(sub)}).ok());
    ASSERT_TRUE(w->pre_commit(3).ok());
    w->pending(pending);
    if (sub == 0) {  // subtask 1 is lost before its commit
      ASSERT_TRUE(w->commit(3).ok());
    }
  }
  EXPECT_EQ(trim(server.cli("XLEN out")), "1");
  auto r = start(s, info_of(0, 1, 3), pending, 2);
  EXPECT_EQ(trim(server.cli("XLEN out")), "2");
  EXPECT_EQ(trim(server.cli("GET nagare:fence:job:stream:out:1")), "3");
}

// A job started from the beginning resets its fence: checkpoint ids start over.
TEST(redis_sink, fresh_start_resets_the_fence) {
  testing::redis_server server;
  server.cli("SET nagare:fence:job:keys::0 9");
  auto s = sink_of("redis://" + server.address());
  auto w = start(s, info_of(0, 1, 0));
  ASSERT_TRUE(w->write({"k", "v"}).ok());
  ASSERT_TRUE(w->pre_commit(1).ok());
  ASSERT_TRUE(w->commit(1).ok());
  EXPECT_EQ(trim(server.cli("GET k")), "v");
}

// A target of another type: the commit fails with the server's WRONGTYPE
// and writes nothing of the transaction.
TEST(redis_sink, wrong_type_fails_the_commit_whole) {
  testing::redis_server server;
  server.cli("SET totals x");
  auto s = sink_of("redis://" + server.address() + "?hash=totals");
  auto w = start(s, info_of(0, 1, 0));
  ASSERT_TRUE(w->write({"a", "1"}).ok());
  ASSERT_TRUE(w->pre_commit(1).ok());
  auto st = w->commit(1);
  EXPECT_EQ(st.code(), errc::invalid_argument);
  EXPECT_NE(st.message().find("WRONGTYPE"), std::string::npos) << st.message();
  EXPECT_EQ(trim(server.cli("GET totals")), "x");
  EXPECT_EQ(trim(server.cli("EXISTS nagare:fence:job:hash:totals:0")), "0");
}

// At least once: SET with a prefix, flushed at the barrier.
TEST(redis_sink, at_least_once_visible_at_the_barrier) {
  testing::redis_server server;
  auto s = sink_of("redis://" + server.address() + "?prefix=p:&delivery=at-least-once");
  EXPECT_EQ(s.guarantee(), delivery_guarantee::at_least_once);
  auto w = start(s, info_of(0, 1, 0));
  ASSERT_TRUE(w->write({"a", "1"}).ok());
  ASSERT_TRUE(w->write({"b", "2"}).ok());
  ASSERT_TRUE(w->pre_commit(1).ok());
  EXPECT_EQ(trim(server.cli("GET p:a")), "1");
  EXPECT_EQ(trim(server.cli("GET p:b")), "2");
  strings pending;
  w->pending(pending);
  EXPECT_TRUE(pending.empty());
  ASSERT_TRUE(w->write({"c", "3"}).ok());
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(trim(server.cli("GET p:c")), "3");
}

// The commands target: each record's commands run in order inside the
// fenced script (several keys per record); a restore from the same pending
// transaction adds nothing.
TEST(redis_sink, commands_target_applies_each_records_commands_once) {
  testing::redis_server server;
  redis_sink_config c;
  c.host = "127.0.0.1";
  c.port = server.port();
  c.target = redis_target::commands;
  c.name = "layout";
  redis_sink<kv> s(c, [](const kv& r, redis_output_record& out) {
    out.commands = {{"HSET", "campaign", r.first, "w-" + r.first},
                    {"LREM", "list", "0", r.first},
                    {"LPUSH", "list", r.first},
                    {"HSET", "w-" + r.first, "seen_count", r.second}};
  });
  auto w = start(s, info_of(0, 1, 0));
  ASSERT_TRUE(w->write({"10000", "7"}).ok());
  ASSERT_TRUE(w->write({"20000", "9"}).ok());
  ASSERT_TRUE(w->pre_commit(1).ok());
  strings pending;
  w->pending(pending);
  EXPECT_EQ(trim(server.cli("HLEN campaign")), "0");
  ASSERT_TRUE(w->commit(1).ok());
  EXPECT_EQ(trim(server.cli("HGET campaign 20000")), "w-20000");
  EXPECT_EQ(trim(server.cli("HGET w-10000 seen_count")), "7");
  EXPECT_EQ(trim(server.cli("LRANGE list 0 -1")), "20000\n10000");
  EXPECT_EQ(trim(server.cli("GET nagare:fence:job:commands:layout:0")), "1");
  auto r = start(s, info_of(0, 1, 1), pending, 1);
  EXPECT_EQ(trim(server.cli("LLEN list")), "2");
  // At least once: the same commands, pipelined at the barrier.
  c.delivery = redis_delivery::at_least_once;
  redis_sink<kv> loose(c, [](const kv& r, redis_output_record& out) {
    out.commands = {{"SET", r.first, r.second}, {"APPEND", r.first, "!"}};
  });
  auto a = start(loose, info_of(0, 1, 0));
  ASSERT_TRUE(a->write({"k", "v"}).ok());
  ASSERT_TRUE(a->pre_commit(1).ok());
  EXPECT_EQ(trim(server.cli("GET k")), "v!");
}

// A pending transaction in the form of snapshots taken before the commands
// target (a key-value pair per record) is still applied.
TEST(redis_sink, restores_pending_transactions_of_the_pair_form) {
  testing::redis_server server;
  auto s = sink_of("redis://" + server.address() + "?hash=totals");
  using pair_entry = std::pair<std::pair<uint32_t, uint64_t>, std::vector<kv>>;
  strings pending = {encode(pair_entry({0, 3}, {{"a", "1"}, {"b", "2"}}))};
  auto r = start(s, info_of(0, 1, 3), pending, 1);
  EXPECT_EQ(trim(server.cli("HGET totals a")), "1");
  EXPECT_EQ(trim(server.cli("HGET totals b")), "2");
  EXPECT_EQ(trim(server.cli("GET nagare:fence:job:hash:totals:0")), "3");
}

// URIs: bad options are refused by name; validate() names an unreachable server.
TEST(redis_sink, checks) {
  auto bad = [](const std::string& uri) {
    auto u = parse_connector_uri(uri);
    EXPECT_TRUE(u.ok()) << uri;
    auto c = redis_output_of(u.value());
    EXPECT_FALSE(c.ok()) << uri;
    return c.ok() ? std::string() : c.error().message();
  };
  EXPECT_NE(bad("redis://127.0.0.1:1?colour=red").find("colour"), std::string::npos);
  EXPECT_NE(bad("redis://127.0.0.1:1?delivery=none").find("delivery"), std::string::npos);
  EXPECT_NE(bad("redis://127.0.0.1:1/a?hash=h").find("not both"), std::string::npos);
  EXPECT_NE(bad("redis://127.0.0.1:1/a,b").find("one stream"), std::string::npos);
  uint16_t port = 0;
  {
    testing::redis_server gone;
    port = gone.port();
  }
  auto down = sink_of("redis://127.0.0.1:" + std::to_string(port)).validate();
  EXPECT_EQ(down.code(), errc::unavailable);
  EXPECT_NE(down.message().find(std::to_string(port)), std::string::npos) << down.message();
  testing::redis_server server;
  EXPECT_TRUE(sink_of("redis://" + server.address()).validate().ok());
}

}  // namespace
}  // namespace nagare
