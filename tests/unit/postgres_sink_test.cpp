// postgres_sink's writer driven through the sink contract (open, recover,
// write, pre_commit, pending, commit, close) against a private PostgreSQL
// server, with psql as the independent reader of the table and of
// pg_prepared_xacts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nagare/postgres_sink.hpp"
#include "servers.hpp"

namespace nagare {
namespace {

#define ASSERT_OK(expr)                     \
  do {                                      \
    auto st_ = (expr);                      \
    ASSERT_TRUE(st_.ok()) << st_.message(); \
  } while (false)

// Records are "KEY<TAB>VALUE": two columns.
void two_columns(const std::string& r, std::vector<std::string>& row) {
  auto tab = r.find('\t');
  row.push_back(r.substr(0, tab));
  row.push_back(tab == std::string::npos ? "" : r.substr(tab + 1));
}

subtask_info task(uint32_t subtask, uint32_t parallelism, uint64_t restored = 0,
                  const std::string& job = "orders-job") {
  subtask_info i;
  i.task_name = "sink (" + std::to_string(subtask + 1) + "/" + std::to_string(parallelism) + ")";
  i.subtask = subtask;
  i.parallelism = parallelism;
  i.restored_checkpoint = restored;
  i.job_name = job;
  return i;
}

class PostgresSinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new testing::postgres_server(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static postgres_sink_config config_of(const std::string& query) {
    auto uri = parse_connector_uri(server_->uri() + "?" + query);
    EXPECT_TRUE(uri.ok()) << uri.error().message();
    auto c = detail::postgres_output_of(uri.value());
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? c.value() : postgres_sink_config{};
  }
  static postgres_sink<std::string> sink_of(const std::string& query) {
    return postgres_sink<std::string>(config_of(query), two_columns);
  }
  static std::string sql(const std::string& s) { return server_->sql(s); }
  static std::string prepared(const std::string& table) {
    return sql(
        "SELECT string_agg(gid, ' ' ORDER BY gid) FROM pg_prepared_xacts WHERE gid LIKE "
        "'nagare/%/" +
        table + "/%'");
  }

  static testing::postgres_server* server_;
};

testing::postgres_server* PostgresSinkTest::server_ = nullptr;

// Rows become visible at commit, not at the barrier; the barrier leaves a
// prepared transaction named after job, table, subtask and checkpoint;
// committing again and recovering from the committed checkpoint add nothing.
TEST_F(PostgresSinkTest, ExactlyOnceCommitsAtTheCheckpoint) {
  sql("CREATE TABLE e1 (id int, v text)");
  auto s = sink_of("table=e1");
  ASSERT_EQ(s.guarantee(), delivery_guarantee::exactly_once);
  ASSERT_OK(s.validate());
  auto w = s.create();
  ASSERT_OK(w->open(task(0, 1)));
  ASSERT_OK(w->recover({}, 0, task(0, 1)));
  for (int i = 1; i <= 5; ++i) ASSERT_OK(w->write(std::to_string(i) + "\tv" + std::to_string(i)));
  ASSERT_OK(w->pre_commit(1));
  EXPECT_EQ(sql("SELECT count(*) FROM e1"), "0\n");
  EXPECT_EQ(prepared("e1"), "nagare/orders-job/e1/0/1\n");
  std::vector<std::string> entries;
  w->pending(entries);
  EXPECT_EQ(entries.size(), 1u);
  ASSERT_OK(w->pre_commit(2));  // nothing written since: no transaction
  ASSERT_OK(w->commit(1));
  EXPECT_EQ(sql("SELECT count(*), sum(id), string_agg(v, ',' ORDER BY id) FROM e1"),
            "5|15|v1,v2,v3,v4,v5\n");
  EXPECT_EQ(prepared("e1"), "\n");
  std::vector<std::string> none;
  w->pending(none);
  EXPECT_TRUE(none.empty());
  ASSERT_OK(w->commit(2));
  ASSERT_OK(w->close());

  // A restart from checkpoint 1 after its commit: the gid is gone, a no-op.
  auto again = s.create();
  ASSERT_OK(again->open(task(0, 1, 1)));
  ASSERT_OK(again->recover(entries, 1, task(0, 1, 1)));
  ASSERT_OK(again->close());
  EXPECT_EQ(sql("SELECT count(*) FROM e1"), "5\n");
}

// A crash after checkpoint 2's barrier, before its completion: the restart
// from checkpoint 1 commits 1's prepared transaction and rolls back 2's.
TEST_F(PostgresSinkTest, RecoverCommitsTheRestoredAndRollsBackTheRest) {
  sql("CREATE TABLE e2 (id int, v text)");
  auto s = sink_of("table=e2&delivery=exactly-once");
  auto w = s.create();
  ASSERT_OK(w->open(task(0, 1)));
  ASSERT_OK(w->recover({}, 0, task(0, 1)));
  ASSERT_OK(w->write("1\tone"));
  ASSERT_OK(w->write("2\ttwo"));
  ASSERT_OK(w->pre_commit(1));
  std::vector<std::string> entries1;
  w->pending(entries1);
  ASSERT_OK(w->write("3\tthree"));
  ASSERT_OK(w->pre_commit(2));
  ASSERT_OK(w->write("4\tfour"));  // after the last barrier: never prepared
  ASSERT_OK(w->close());           // the task dies; the prepared ones stay
  EXPECT_EQ(prepared("e2"), "nagare/orders-job/e2/0/1 nagare/orders-job/e2/0/2\n");
  EXPECT_EQ(sql("SELECT count(*) FROM e2"), "0\n");

  auto r = s.create();
  ASSERT_OK(r->open(task(0, 1, 1)));
  ASSERT_OK(r->recover(entries1, 1, task(0, 1, 1)));
  EXPECT_EQ(prepared("e2"), "\n");
  EXPECT_EQ(sql("SELECT string_agg(v, ',' ORDER BY id) FROM e2"), "one,two\n");
  // The replay writes 3 and 4 again under a new checkpoint.
  ASSERT_OK(r->write("3\tthree"));
  ASSERT_OK(r->write("4\tfour"));
  ASSERT_OK(r->pre_commit(3));
  ASSERT_OK(r->commit(3));
  ASSERT_OK(r->commit(3));  // twice: harmless
  ASSERT_OK(r->close());
  EXPECT_EQ(sql("SELECT string_agg(v, ',' ORDER BY id) FROM e2"), "one,two,three,four\n");
}

// Rescaling from 2 subtasks to 1: subtask 0 commits subtask 1's restored
// transaction and rolls back its unfinished one; another job's are left.
TEST_F(PostgresSinkTest, RecoverTakesOverTheSubtasksOfALargerRun) {
  sql("CREATE TABLE e3 (id int, v text)");
  auto s = sink_of("table=e3");
  std::vector<std::string> entries;
  for (uint32_t p = 0; p < 2; ++p) {
    auto w = s.create();
    ASSERT_OK(w->open(task(p, 2)));
    ASSERT_OK(w->recover({}, 0, task(p, 2)));
    ASSERT_OK(w->write(std::to_string(10 + p) + "\tcp1"));
    ASSERT_OK(w->pre_commit(1));
    w->pending(entries);
    ASSERT_OK(w->write(std::to_string(20 + p) + "\tcp2"));
    ASSERT_OK(w->pre_commit(2));
    ASSERT_OK(w->close());
  }
  auto other = s.create();  // the same table, another job
  ASSERT_OK(other->open(task(1, 2, 0, "other-job")));
  ASSERT_OK(other->write("99\tother"));
  ASSERT_OK(other->pre_commit(7));
  ASSERT_OK(other->close());

  auto r = s.create();
  ASSERT_OK(r->open(task(0, 1, 1)));
  ASSERT_OK(r->recover(entries, 2, task(0, 1, 1)));
  ASSERT_OK(r->close());
  EXPECT_EQ(sql("SELECT string_agg(id || v, ',' ORDER BY id) FROM e3"), "10cp1,11cp1\n");
  EXPECT_EQ(prepared("e3"), "nagare/other-job/e3/1/7\n");
  sql("ROLLBACK PREPARED 'nagare/other-job/e3/1/7'");
}

// Values with tabs, newlines and backslashes arrive as written; more rows
// than a batch; at-least-once rows are visible after the barrier.
TEST_F(PostgresSinkTest, AtLeastOnceWritesBatchesAndEscapes) {
  sql("CREATE TABLE a1 (k text, v text)");
  auto s = sink_of("table=a1&delivery=at-least-once").batch_rows(7);
  ASSERT_EQ(s.guarantee(), delivery_guarantee::at_least_once);
  ASSERT_OK(s.validate());
  auto w = s.create();
  ASSERT_OK(w->open(task(0, 1)));
  ASSERT_OK(w->recover({}, 0, task(0, 1)));
  for (int i = 0; i < 50; ++i) ASSERT_OK(w->write("k" + std::to_string(i) + "\tplain"));
  postgres_sink<std::vector<std::string>> raw(
      s.config(),
      [](const std::vector<std::string>& r, std::vector<std::string>& out) { out = r; });
  auto w2 = raw.create();
  ASSERT_OK(w2->open(task(0, 1)));
  ASSERT_OK(w2->write({"odd", "tab\there\nnew\\line \\N"}));
  ASSERT_OK(w2->pre_commit(1));
  ASSERT_OK(w2->close());
  ASSERT_OK(w->pre_commit(1));
  EXPECT_EQ(sql("SELECT count(*) FROM a1 WHERE v = 'plain'"), "50\n");
  EXPECT_EQ(sql("SELECT v = E'tab\\there\\nnew\\\\line \\\\N' FROM a1 WHERE k = 'odd'"), "t\n");
  ASSERT_OK(w->write("empty-value\t"));  // flushed by close
  ASSERT_OK(w->close());
  EXPECT_EQ(sql("SELECT count(*) FROM a1"), "52\n");
  // A row of the wrong width is refused.
  auto w3 = raw.create();
  ASSERT_OK(w3->open(task(0, 1)));
  EXPECT_EQ(w3->write({"just one"}).code(), errc::invalid_argument);
  ASSERT_OK(w3->close());
}

// Upserts: a key written twice (in one batch and across batches) leaves one
// row with the last value.
TEST_F(PostgresSinkTest, UpsertKeepsTheLastValuePerKey) {
  sql("CREATE TABLE u1 (k text PRIMARY KEY, v text)");
  auto s = sink_of("table=u1&upsert=k");
  EXPECT_EQ(s.config().delivery, postgres_delivery::at_least_once);
  ASSERT_OK(s.validate());
  auto w = s.create();
  ASSERT_OK(w->open(task(0, 1)));
  ASSERT_OK(w->recover({}, 0, task(0, 1)));
  ASSERT_OK(w->write("a\t1"));
  ASSERT_OK(w->write("b\t1"));
  ASSERT_OK(w->write("a\t2"));
  ASSERT_OK(w->pre_commit(1));
  EXPECT_EQ(sql("SELECT string_agg(k || '=' || v, ',' ORDER BY k) FROM u1"), "a=2,b=1\n");
  ASSERT_OK(w->write("a\t3"));
  ASSERT_OK(w->write("c\t1"));
  ASSERT_OK(w->close());
  EXPECT_EQ(sql("SELECT string_agg(k || '=' || v, ',' ORDER BY k) FROM u1"), "a=3,b=1,c=1\n");
}

// validate(): the table and columns exist, the upsert key has a unique
// index, and the exactly-once message on a server without prepared
// transactions (through the seam: the test server cannot be restarted with
// max_prepared_transactions=0).
TEST_F(PostgresSinkTest, Validate) {
  sql("CREATE TABLE v1 (id int, v text)");
  EXPECT_TRUE(sink_of("table=v1").validate().ok());
  EXPECT_TRUE(sink_of("table=public.v1&columns=v").validate().ok());
  auto missing = sink_of("table=v1_missing").validate();
  EXPECT_EQ(missing.code(), errc::invalid_argument);
  EXPECT_NE(missing.message().find("v1_missing"), std::string::npos) << missing.message();
  auto column = sink_of("table=v1&columns=id,nope").validate();
  EXPECT_EQ(column.code(), errc::invalid_argument);
  EXPECT_NE(column.message().find("nope"), std::string::npos) << column.message();
  auto no_index = sink_of("table=v1&upsert=id").validate();  // no unique index on id
  EXPECT_EQ(no_index.code(), errc::invalid_argument) << no_index.message();

  auto c = config_of("table=v1");
  auto st = detail::check_max_prepared_transactions(c, "0");
  EXPECT_EQ(st.code(), errc::invalid_argument);
  EXPECT_NE(st.message().find("needs max_prepared_transactions > 0 on the server (it is 0;"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(st.message().rfind("postgresql://postgres@127.0.0.1:", 0), 0u) << st.message();
  EXPECT_TRUE(detail::check_max_prepared_transactions(c, "16").ok());
  c.delivery = postgres_delivery::at_least_once;
  EXPECT_TRUE(detail::check_max_prepared_transactions(c, "0").ok());

  // A server that is not there: unavailable.
  auto gone = config_of("table=v1");
  gone.port = 1;
  gone.timeout_ms = 500;
  EXPECT_EQ(detail::validate_postgres_sink(gone).code(), errc::unavailable);
}

// The options of a postgresql:// output URI.
TEST(PostgresOutputTest, Options) {
  auto of = [](const std::string& query) {
    auto uri = parse_connector_uri("postgresql://me@db.example:5433/shop?" + query);
    EXPECT_TRUE(uri.ok());
    return detail::postgres_output_of(uri.value());
  };
  auto c = of("table=sales.orders&columns=id,total");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->host, "db.example");
  EXPECT_EQ(c->port, 5433);
  EXPECT_EQ(c->database, "shop");
  EXPECT_EQ(c->user, "me");
  EXPECT_EQ(c->table, "sales.orders");
  EXPECT_EQ(c->columns, (std::vector<std::string>{"id", "total"}));
  EXPECT_EQ(c->delivery, postgres_delivery::exactly_once);
  EXPECT_EQ(c->describe(), "postgresql://me@db.example:5433/shop?table=sales.orders");
  auto u = of("table=t&upsert=a,b");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->delivery, postgres_delivery::at_least_once);
  EXPECT_EQ(u->upsert_key, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(of("table=t&delivery=at-least-once").ok());
  EXPECT_FALSE(of("table=t&delivery=none").ok());
  EXPECT_FALSE(of("table=t&upsert=a&delivery=exactly-once").ok());
  EXPECT_FALSE(of("columns=a").ok());
  EXPECT_FALSE(of("table=t&columns=a,,b").ok());
  EXPECT_FALSE(of("table=t'x").ok());
  auto unknown = of("table=t&colour=red");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("colour"), std::string::npos);
}

}  // namespace
}  // namespace nagare
