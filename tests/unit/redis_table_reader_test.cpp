// The Redis table reader of lookups against a private redis-server: hits
// and misses over more keys than one command takes, prefixes, hashes, a
// server that is down and comes back, and a key of the wrong type.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "nagare/table_reader.hpp"
#include "servers.hpp"

namespace nagare {
namespace {

using strings = std::vector<std::string>;

owned<detail::table_reader> reader_of(const std::string& uri, uint32_t batch = 3,
                                      uint32_t timeout_ms = 1000) {
  auto u = parse_connector_uri(uri);
  EXPECT_TRUE(u.ok()) << u.error().message();
  auto r = detail::make_redis_table_reader(u.value(), {batch, timeout_ms});
  EXPECT_TRUE(r.ok()) << r.error().message();
  return std::move(r.value());
}

// Keys k0..k9; the even ones exist with value v<i> (expected values computed here).
void expect_even_hits(detail::table_reader& r) {
  strings keys, values;
  for (int i = 0; i < 10; ++i) keys.push_back("k" + std::to_string(i));
  std::vector<uint8_t> found;
  auto st = r.read(keys, values, found);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(values.size(), 10u);
  ASSERT_EQ(found.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(found[i] != 0, i % 2 == 0) << i;
    EXPECT_EQ(values[i], i % 2 == 0 ? "v" + std::to_string(i) : "") << i;
  }
}

// MGET over 10 keys in commands of 3: hits and misses land at their keys.
TEST(redis_table_reader, keys_hits_and_misses_across_batches) {
  testing::redis_server server;
  for (int i = 0; i < 10; i += 2)
    server.cli("SET k" + std::to_string(i) + " v" + std::to_string(i));
  auto r = reader_of("redis://" + server.address());
  expect_even_hits(*r);
  EXPECT_EQ(r->describe(), "redis " + server.address() + " keys");
}

// prefix=P reads key P+KEY; the unprefixed keys are not read.
TEST(redis_table_reader, prefix) {
  testing::redis_server server;
  for (int i = 0; i < 10; i += 2)
    server.cli("SET c:k" + std::to_string(i) + " v" + std::to_string(i));
  server.cli("SET k1 not-this-one");
  auto r = reader_of("redis://" + server.address() + "?prefix=c:");
  expect_even_hits(*r);
  EXPECT_EQ(r->describe(), "redis " + server.address() + " keys prefix c:");
}

// hash=H reads fields of H (HMGET), in commands of 3; lookup options are ignored.
TEST(redis_table_reader, hash_fields) {
  testing::redis_server server;
  for (int i = 0; i < 10; i += 2)
    server.cli("HSET customers k" + std::to_string(i) + " v" + std::to_string(i));
  auto r = reader_of("redis://" + server.address() + "?hash=customers&cache=100&ttl=5");
  expect_even_hits(*r);
  EXPECT_EQ(r->describe(), "redis " + server.address() + " hash customers");
}

// An option neither the reader nor the lookup knows is refused by name.
TEST(redis_table_reader, unknown_option) {
  auto u = parse_connector_uri("redis://127.0.0.1:1?colour=red");
  ASSERT_TRUE(u.ok());
  auto r = detail::make_redis_table_reader(u.value(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::invalid_argument);
  EXPECT_NE(r.error().message().find("colour"), std::string::npos) << r.error().message();
}

// A server with a password: without one the read fails, naming no secret;
// with NAGARE_REDIS_PASSWORD_FILE naming a file that holds it, it works.
TEST(redis_table_reader, password_from_a_file) {
  testing::redis_server server;
  for (int i = 0; i < 10; i += 2)
    server.cli("SET k" + std::to_string(i) + " v" + std::to_string(i));
  server.cli("CONFIG SET requirepass hunter2");
  unsetenv("NAGARE_REDIS_PASSWORD");
  unsetenv("NAGARE_REDIS_PASSWORD_FILE");
  {
    auto r = reader_of("redis://" + server.address());
    strings values;
    std::vector<uint8_t> found;
    auto st = r->read({"k0"}, values, found);
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.message().find("hunter2"), std::string::npos) << st.message();
  }
  auto path =
      std::filesystem::temp_directory_path() / ("nagare-redis-pw-" + std::to_string(::getpid()));
  std::ofstream(path) << "hunter2\n";
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  setenv("NAGARE_REDIS_PASSWORD_FILE", path.c_str(), 1);
  auto r = reader_of("redis://" + server.address());
  expect_even_hits(*r);
  unsetenv("NAGARE_REDIS_PASSWORD_FILE");
  std::filesystem::remove(path);
}

// A port where no server listens: unavailable at once.
TEST(redis_table_reader, unreachable) {
  uint16_t port = 0;
  {
    testing::redis_server gone;
    port = gone.port();
  }
  auto r = reader_of("redis://127.0.0.1:" + std::to_string(port), 3, 500);
  strings values;
  std::vector<uint8_t> found;
  auto st = r->read({"a"}, values, found);
  EXPECT_EQ(st.code(), errc::unavailable) << st.message();
  EXPECT_NE(st.message().find(std::to_string(port)), std::string::npos) << st.message();
}

// A server that does not answer (CLIENT PAUSE) is unavailable within the
// timeout; once it answers again, a later read of the same reader works.
TEST(redis_table_reader, timeout_then_available) {
  testing::redis_server server;
  server.cli("SET a 1");
  auto r = reader_of("redis://" + server.address(), 3, 300);
  server.cli("CLIENT PAUSE 1500 ALL");
  strings values;
  std::vector<uint8_t> found;
  auto t0 = std::chrono::steady_clock::now();
  auto st = r->read({"a"}, values, found);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(st.code(), errc::unavailable) << st.message();
  EXPECT_LT(ms, 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  st = r->read({"a"}, values, found);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(values, strings{"1"});
}

// The reader connects again after the connection was lost (server restarted
// on a new port is a new reader; here the server kills our client).
TEST(redis_table_reader, reconnects_after_lost_connection) {
  testing::redis_server server;
  server.cli("SET a 1");
  auto r = reader_of("redis://" + server.address());
  strings values;
  std::vector<uint8_t> found;
  ASSERT_TRUE(r->read({"a"}, values, found).ok());
  server.cli("CLIENT KILL TYPE normal");
  auto st = r->read({"a"}, values, found);
  if (!st.ok()) {  // the lost connection is seen on this read; the next one connects again
    EXPECT_EQ(st.code(), errc::unavailable) << st.message();
    st = r->read({"a"}, values, found);
  }
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(values, strings{"1"});
}

// HMGET on a string key: the server's WRONGTYPE error as invalid_argument.
TEST(redis_table_reader, wrong_type) {
  testing::redis_server server;
  server.cli("SET customers x");
  auto r = reader_of("redis://" + server.address() + "?hash=customers");
  strings values;
  std::vector<uint8_t> found;
  auto st = r->read({"a", "b"}, values, found);
  EXPECT_EQ(st.code(), errc::invalid_argument);
  EXPECT_NE(st.message().find("WRONGTYPE"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace nagare
