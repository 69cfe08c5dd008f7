// The table reader of postgresql:// lookups against a private PostgreSQL
// server: the table is filled with psql and the expected answers are
// computed here from the same rows.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>

#include "nagare/table_reader.hpp"
#include "servers.hpp"

namespace nagare {
namespace {

using detail::table_reader_options;

class PostgresTableReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::postgres_server();
    // 300 customers "c0".."c299" with a name, a city (NULL for every 7th)
    // and an integer-keyed table for the text comparison.
    server_->sql(
        "CREATE TABLE customers (id text PRIMARY KEY, name text, city text);"
        "INSERT INTO customers SELECT 'c' || i, 'name ' || i, "
        "CASE WHEN i % 7 = 0 THEN NULL ELSE 'city' || (i % 5) END FROM generate_series(0, 299) i;"
        "INSERT INTO customers VALUES ('q\"uo,te\\back', 'odd', 'x');"
        "CREATE TABLE scores (id bigint PRIMARY KEY, score int);"
        "INSERT INTO scores VALUES (1, 10), (2, 20), (42, 420);");
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static owned<detail::table_reader> reader(const std::string& query,
                                            table_reader_options opts = {}) {
    auto uri = parse_connector_uri(server_->uri() + "?" + query);
    EXPECT_TRUE(uri.ok()) << uri.error().message();
    auto r = detail::make_postgres_table_reader(uri.value(), opts);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? std::move(r.value()) : nullptr;
  }

  static testing::postgres_server* server_;
};

testing::postgres_server* PostgresTableReaderTest::server_ = nullptr;

// Hits and misses over more keys than one batch, several value columns
// joined by ',', NULL as empty, keys repeated.
TEST_F(PostgresTableReaderTest, ReadsHitsAndMissesAcrossBatches) {
  table_reader_options opts;
  opts.batch_keys = 16;
  auto r = reader("table=customers&key=id&value=name,city&cache=1000&ttl=60", opts);
  ASSERT_TRUE(r);
  std::vector<std::string> keys;
  for (int i = 0; i < 400; i += 3) keys.push_back("c" + std::to_string(i));  // >= 300: misses
  keys.push_back("c3");
  keys.push_back("nope");
  std::vector<std::string> values;
  std::vector<uint8_t> found;
  auto st = r->read(keys, values, found);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(values.size(), keys.size());
  ASSERT_EQ(found.size(), keys.size());
  for (size_t k = 0; k < keys.size(); ++k) {
    if (keys[k] == "nope") {
      EXPECT_FALSE(found[k]);
      continue;
    }
    int i = std::stoi(keys[k].substr(1));
    if (i >= 300) {
      EXPECT_FALSE(found[k]) << keys[k];
      continue;
    }
    EXPECT_TRUE(found[k]) << keys[k];
    std::string city = i % 7 == 0 ? "" : "city" + std::to_string(i % 5);
    EXPECT_EQ(values[k], "name " + std::to_string(i) + "," + city) << keys[k];
  }
  // A second read on the same (prepared) connection.
  st = r->read({"c1", "c299"}, values, found);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(values, (std::vector<std::string>{"name 1,city1", "name 299,city4"}));
}

// Keys with quotes, commas and backslashes reach the server intact, and
// one that PostgreSQL text cannot hold (a NUL) is simply not found.
TEST_F(PostgresTableReaderTest, KeysWithSpecialCharacters) {
  auto r = reader("table=customers&value=name");
  ASSERT_TRUE(r);
  std::vector<std::string> values;
  std::vector<uint8_t> found;
  std::string nul_key("c1\0x", 4);
  auto st = r->read({"q\"uo,te\\back", "q\"uo", "{c1}", nul_key, "c1"}, values, found);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(found, (std::vector<uint8_t>{1, 0, 0, 0, 1}));
  EXPECT_EQ(values[0], "odd");
  EXPECT_EQ(values[4], "name 1");
}

// A bigint key compares as text: "42" is found, "x" is a miss, not an error.
TEST_F(PostgresTableReaderTest, NonTextKeyComparesAsText) {
  auto r = reader("table=public.scores&key=id&value=score");
  ASSERT_TRUE(r);
  std::vector<std::string> values;
  std::vector<uint8_t> found;
  auto st = r->read({"42", "x", "2"}, values, found);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(found, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(values[0], "420");
  EXPECT_EQ(values[2], "20");
}

// A missing table or column is the server's refusal: invalid_argument with
// its message; the reader stays usable for nothing else but reports again.
TEST_F(PostgresTableReaderTest, MissingTableOrColumnIsInvalidArgument) {
  std::vector<std::string> values;
  std::vector<uint8_t> found;
  auto r = reader("table=no_such_table&value=v");
  ASSERT_TRUE(r);
  auto st = r->read({"a"}, values, found);
  EXPECT_EQ(st.code(), errc::invalid_argument) << st.message();
  EXPECT_NE(st.message().find("no_such_table"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
  auto c = reader("table=customers&value=no_such_column");
  ASSERT_TRUE(c);
  st = c->read({"c1"}, values, found);
  EXPECT_EQ(st.code(), errc::invalid_argument) << st.message();
  EXPECT_NE(st.message().find("no_such_column"), std::string::npos) << st.message();
}

// Options: required ones, identifiers, the lookup's own options ignored,
// unknown ones named.
TEST_F(PostgresTableReaderTest, Options) {
  auto make = [](const std::string& query) {
    auto uri = parse_connector_uri("postgresql://u@127.0.0.1:5/db?" + query);
    EXPECT_TRUE(uri.ok());
    return detail::make_postgres_table_reader(uri.value(), {});
  };
  auto ok =
      make("table=t&value=v&timeout=5&batch=3&in_flight=2&retries=1&backoff=9&cache_misses=1");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok.value()->describe(), "postgresql 127.0.0.1:5/db table t");
  EXPECT_FALSE(make("value=v").ok());
  EXPECT_FALSE(make("table=t").ok());
  EXPECT_FALSE(make("table=t;drop&value=v").ok());
  EXPECT_FALSE(make("table=a.b.c&value=v").ok());
  EXPECT_FALSE(make("table=t&key=a.b&value=v").ok());
  auto unknown = make("table=t&value=v&colour=red");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), errc::invalid_argument);
  EXPECT_NE(unknown.error().message().find("colour"), std::string::npos);
}

// A server that is gone: errc::unavailable within about the timeout, and
// again on the next read (it reconnects rather than hanging).
TEST_F(PostgresTableReaderTest, StoppedServerIsUnavailableWithinTheTimeout) {
  auto server = std::make_unique<testing::postgres_server>();
  server->sql("CREATE TABLE kv (id text PRIMARY KEY, v text); INSERT INTO kv VALUES ('a', '1');");
  auto uri = parse_connector_uri(server->uri() + "?table=kv&value=v");
  ASSERT_TRUE(uri.ok());
  table_reader_options opts;
  opts.timeout_ms = 500;
  auto r = detail::make_postgres_table_reader(uri.value(), opts);
  ASSERT_TRUE(r.ok());
  std::vector<std::string> values;
  std::vector<uint8_t> found;
  auto st = r.value()->read({"a"}, values, found);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(values[0], "1");
  server.reset();
  for (int i = 0; i < 2; ++i) {
    auto start = std::chrono::steady_clock::now();
    st = r.value()->read({"a"}, values, found);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(st.code(), errc::unavailable) << st.message();
    EXPECT_LT(took, std::chrono::milliseconds(2000)) << st.message();
    EXPECT_NE(st.message().find("127.0.0.1:"), std::string::npos) << st.message();
  }
}

}  // namespace
}  // namespace nagare
