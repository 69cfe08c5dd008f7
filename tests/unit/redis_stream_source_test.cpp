// The Redis stream source against a private redis-server: the reader driven
// directly with the splits its enumerator finds (bounded reads, restores from
// positions, pattern discovery), and the checks of its URI and validate().
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "nagare/detail/operator.hpp"
#include "nagare/redis_source.hpp"
#include "servers.hpp"
#include "source/split_enumerator.hpp"

namespace nagare {
namespace {

using strings = std::vector<std::string>;

// Collects what the reader emits.
class lines final : public detail::input_port<std::string> {
 public:
  void push(std::string& r) override { got.push_back(r); }
  strings got;
};

redis_stream_source<std::string> line_source(const std::string& uri) {
  auto u = parse_connector_uri(uri);
  EXPECT_TRUE(u.ok()) << u.error().message();
  auto s = detail::redis_line_source(u.value());
  EXPECT_TRUE(s.ok()) << s.error().message();
  return std::move(s.value());
}

// The splits an enumerator finds within 5 s (its thread asks the server).
std::vector<source_split> discover(split_enumerator& e, size_t at_least = 1) {
  std::vector<source_split> all;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (all.size() < at_least && std::chrono::steady_clock::now() < deadline) {
    auto found = e.discover();
    if (found.ok())
      for (auto& s : found.value()) all.push_back(std::move(s));
    if (all.size() < at_least) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return all;
}

template <class Source>
std::unique_ptr<split_enumerator> enumerator_of(const Source& source) {
  auto spec = source.enumerator(1);
  auto e = make_split_enumerator(spec.kind, spec.config);
  EXPECT_TRUE(e.ok()) << e.error().message();
  return std::move(e.value());
}

// Polls `reader` with at most `per_poll` records a time until it ends or has
// emitted `limit` records; fails the test after 5 s.
strings read(source_reader<std::string>& reader, size_t per_poll, size_t limit = SIZE_MAX) {
  lines sink;
  collector<std::string> out(&sink);
  bool end = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!end && sink.got.size() < limit) {
    auto st = reader.poll(std::min(per_poll, limit - sink.got.size()), out, end);
    EXPECT_TRUE(st.ok()) << st.message();
    if (!st.ok() || std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the reader did not end";
      break;
    }
  }
  return sink.got;
}

// XADDs `n` entries "line" = PREFIX<i> to `stream`; returns the values.
strings add(const testing::redis_server& server, const std::string& stream,
            const std::string& prefix, int from, int n) {
  strings values;
  for (int i = from; i < from + n; ++i) {
    values.push_back(prefix + std::to_string(i));
    server.cli("XADD " + stream + " '*' line " + values.back());
  }
  return values;
}

// stop=latest reads exactly the entries present at the start, each stream's
// in order, and ends; entries added after the enumerator ran are not read.
TEST(redis_stream_source, bounded_reads_the_entries_at_the_start_in_order) {
  testing::redis_server server;
  auto a = add(server, "a", "a", 0, 7);
  auto b = add(server, "b", "b", 0, 3);
  auto source = line_source("redis://" + server.address() + "/a,b,empty?stop=latest");
  auto e = enumerator_of(source);
  auto splits = discover(*e, 3);
  ASSERT_EQ(splits.size(), 3u);
  add(server, "a", "late", 0, 2);
  auto reader = source.create();
  ASSERT_TRUE(reader->open({}).ok());
  reader->add_splits(splits);
  reader->no_more_splits();
  auto got = read(*reader, 2);
  strings got_a, got_b;
  for (const auto& r : got) (r[0] == 'a' ? got_a : got_b).push_back(r);
  EXPECT_EQ(got_a, a);
  EXPECT_EQ(got_b, b);
  EXPECT_EQ(got.size(), 10u);
}

// A restore from positions() continues after the last entry emitted:
// together the two readers emit every entry once.
TEST(redis_stream_source, restore_continues_after_the_last_entry) {
  testing::redis_server server;
  auto a = add(server, "a", "a", 0, 5);
  auto b = add(server, "b", "b", 0, 4);
  auto source = line_source("redis://" + server.address() + "/a,b?stop=latest");
  auto e = enumerator_of(source);
  auto splits = discover(*e, 2);
  ASSERT_EQ(splits.size(), 2u);

  auto first = source.create();
  ASSERT_TRUE(first->open({}).ok());
  first->add_splits(splits);
  first->no_more_splits();
  auto before = read(*first, 2, 5);
  ASSERT_EQ(before.size(), 5u);
  strings positions;
  first->positions(positions);
  ASSERT_EQ(positions.size(), 2u);

  auto second = source.create();
  ASSERT_TRUE(second->open({}).ok());
  ASSERT_TRUE(second->restore(positions, {}).ok());
  second->add_splits(splits);
  second->no_more_splits();
  auto after = read(*second, 3);
  strings all = before;
  all.insert(all.end(), after.begin(), after.end());
  std::sort(all.begin(), all.end());
  strings expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);
}

// start=latest reads only the entries added after the enumerator's first
// round (the source is unbounded: read until the new entries came).
TEST(redis_stream_source, start_latest_skips_the_entries_before) {
  testing::redis_server server;
  add(server, "a", "old", 0, 3);
  auto source = line_source("redis://" + server.address() + "/a?start=latest");
  auto e = enumerator_of(source);
  auto splits = discover(*e);
  ASSERT_EQ(splits.size(), 1u);
  auto fresh = add(server, "a", "new", 0, 2);
  auto reader = source.create();
  ASSERT_TRUE(reader->open({}).ok());
  reader->add_splits(splits);
  EXPECT_EQ(read(*reader, 10, 2), fresh);
}

// pattern=GLOB finds the matching streams, and one created later at the
// next round; a matching key of another type is not a split.
TEST(redis_stream_source, pattern_discovers_streams_created_later) {
  testing::redis_server server;
  add(server, "ev-1", "x", 0, 1);
  add(server, "other", "x", 0, 1);
  redis_stream_config c;
  c.port = server.port();
  c.pattern = "ev-*";
  c.discovery_interval_ms = 100;
  redis_stream_source<std::string> source(c, [](const redis_entry& e) { return e.stream; });
  auto e = enumerator_of(source);
  auto first = discover(*e);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, "ev-1");
  server.cli("SET ev-string x");
  add(server, "ev-2", "y", 0, 2);
  auto later = discover(*e);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].id, "ev-2");
  EXPECT_EQ(later[0].start, "0-0");
  auto reader = source.create();
  ASSERT_TRUE(reader->open({}).ok());
  reader->add_splits(later);
  EXPECT_EQ(read(*reader, 10, 2), (strings{"ev-2", "ev-2"}));
}

// field=NAME picks the record's field; an entry without it gives its fields
// as "k=v k=v".
TEST(redis_stream_source, field_or_all_fields) {
  testing::redis_server server;
  server.cli("XADD a '*' msg hello");
  server.cli("XADD a '*' user u1 n 3");
  auto source = line_source("redis://" + server.address() + "/a?stop=latest&field=msg");
  auto e = enumerator_of(source);
  auto reader = source.create();
  ASSERT_TRUE(reader->open({}).ok());
  reader->add_splits(discover(*e));
  reader->no_more_splits();
  EXPECT_EQ(read(*reader, 10), (strings{"hello", "user=u1 n=3"}));
}

// Bad options and keys of another type are invalid arguments naming them;
// an unreachable server fails validate() naming it.
TEST(redis_stream_source, checks) {
  auto bad = [](const std::string& uri) {
    auto u = parse_connector_uri(uri);
    EXPECT_TRUE(u.ok()) << uri;
    auto s = detail::redis_line_source(u.value());
    EXPECT_FALSE(s.ok()) << uri;
    return s.ok() ? std::string() : s.error().message();
  };
  EXPECT_NE(bad("redis://127.0.0.1:1/a?colour=red").find("colour"), std::string::npos);
  EXPECT_NE(bad("redis://127.0.0.1:1/a?stop=never").find("stop"), std::string::npos);
  EXPECT_NE(bad("redis://127.0.0.1:1/a?pattern=x*").find("not both"), std::string::npos);
  EXPECT_NE(bad("redis://127.0.0.1:1").find("stream"), std::string::npos);

  testing::redis_server server;
  server.cli("SET notastream x");
  auto wrong = line_source("redis://" + server.address() + "/a,notastream").validate();
  EXPECT_EQ(wrong.code(), errc::invalid_argument);
  EXPECT_NE(wrong.message().find("notastream"), std::string::npos) << wrong.message();
  EXPECT_TRUE(line_source("redis://" + server.address() + "/a").validate().ok());
  uint16_t port = 0;
  {
    testing::redis_server gone;
    port = gone.port();
  }
  auto down = line_source("redis://127.0.0.1:" + std::to_string(port) + "/a").validate();
  EXPECT_EQ(down.code(), errc::unavailable);
  EXPECT_NE(down.message().find(std::to_string(port)), std::string::npos) << down.message();
}

}  // namespace
}  // namespace nagare
