// The test servers of tests/support/servers.hpp: private Redis and
// PostgreSQL instances that start, answer and go away.
#include <gtest/gtest.h>

#include <filesystem>

#include "servers.hpp"

namespace nagare::testing {
namespace {

TEST(test_servers, redis_answers_on_its_own_port) {
  {
    redis_server r;
    EXPECT_EQ(r.cli("set greeting hello"), "OK\n");
    EXPECT_EQ(r.cli("get greeting"), "hello\n");
    redis_server other;
    EXPECT_NE(other.port(), r.port());
    EXPECT_EQ(other.cli("get greeting"), "\n") << "a private instance each";
  }
}

TEST(test_servers, postgres_takes_prepared_transactions) {
  postgres_server pg;
  EXPECT_EQ(pg.sql("show max_prepared_transactions"), "16\n");
  pg.sql("create table t (k text primary key, v bigint)");
  pg.sql("begin; insert into t values ('a', 1); prepare transaction 'nagare-test-1'");
  EXPECT_EQ(pg.sql("select count(*) from t"), "0\n") << "prepared, not committed";
  pg.sql("commit prepared 'nagare-test-1'");
  EXPECT_EQ(pg.sql("select k || ',' || v from t"), "a,1\n");
  EXPECT_EQ(pg.uri(), "postgresql://postgres@127.0.0.1:" + std::to_string(pg.port()) + "/postgres");
}

}  // namespace
}  // namespace nagare::testing
