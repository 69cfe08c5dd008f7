// order_totals (jobs/order_totals) against real servers: private PostgreSQL
// and Redis instances (tests/support/servers.hpp), a coordinator with two
// node processes, and faults: a node killed with SIGKILL, PostgreSQL
// restarted, Redis stopped for seconds. Every run's output equals the totals
// computed here from the generated orders and customers.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "cluster.hpp"
#include "job_waits.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"
#include "servers.hpp"
#include "text_lines.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

constexpr int64_t window_ms = 10000;
constexpr int64_t bound_ms = 2000;
constexpr int customers = 200;  // c0..c199 in the table; orders also name c200..c219

std::string region_of(int customer) { return "region-" + std::to_string(customer % 7); }

// Orders of one input split: timestamps rising by 0..20 ms, each up to
// bound_ms / 2 behind the largest so far (never late).
std::vector<std::string> generate_orders(uint32_t seed, int count) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> lines;
  int64_t ts = 1'700'000'000'000;
  for (int i = 0; i < count; ++i) {
    ts += static_cast<int64_t>(rng() % 21);
    int64_t t = ts - static_cast<int64_t>(rng() % (bound_ms / 2));
    int customer = static_cast<int>(rng() % (customers + 20));
    int64_t amount = static_cast<int64_t>(rng() % 100000) - 5000;
    lines.push_back(std::to_string(t) + ",o" + std::to_string(seed) + "-" + std::to_string(i) +
                    ",c" + std::to_string(customer) + "," + std::to_string(amount));
  }
  return lines;
}

// "region,window_start,window_end,orders,amount_cents" per region and window.
std::vector<std::string> expected_totals(const std::vector<std::vector<std::string>>& splits) {
  std::map<std::pair<std::string, int64_t>, std::pair<uint64_t, int64_t>> totals;
  for (const auto& lines : splits)
    for (const auto& line : lines) {
      auto c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
      int64_t ts = std::stoll(line.substr(0, c1));
      int customer = std::stoi(line.substr(c2 + 2, c3 - c2 - 2));
      int64_t amount = std::stoll(line.substr(c3 + 1));
      auto region = customer < customers ? region_of(customer) : "unknown";
      int64_t start = ts - ((ts % window_ms) + window_ms) % window_ms;
      auto& t = totals[{region, start}];
      ++t.first;
      t.second += amount;
    }
  std::vector<std::string> out;
  for (const auto& [k, v] : totals)
    out.push_back(k.first + "," + std::to_string(k.second) + "," +
                  std::to_string(k.second + window_ms) + "," + std::to_string(v.first) + "," +
                  std::to_string(v.second));
  return out;
}

std::vector<std::string> slow_options() { return slow_job_options("fixed-delay:500:20"); }

std::vector<std::string> write_inputs(const temp_dir& dir,
                                      const std::vector<std::vector<std::string>>& splits) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < splits.size(); ++i) {
    std::string text;
    for (const auto& l : splits[i]) text += l + "\n";
    paths.push_back(dir / ("orders-" + std::to_string(i) + ".csv"));
    write_file(paths.back(), text);
  }
  return paths;
}

void load_postgres_customers(const postgres_server& pg) {
  std::string values;
  for (int i = 0; i < customers; ++i)
    values += std::string(i ? "," : "") + "('c" + std::to_string(i) + "','" + region_of(i) + "')";
  pg.sql("CREATE TABLE customers (id text PRIMARY KEY, region text NOT NULL)");
  pg.sql("INSERT INTO customers VALUES " + values);
  pg.sql(
      "CREATE TABLE region_totals (region text, window_start bigint, window_end bigint, "
      "orders bigint, amount_cents bigint)");
}

void load_redis_customers(const redis_server& redis) {
  std::string args = "HSET customers";
  for (int i = 0; i < customers; ++i) args += " c" + std::to_string(i) + " " + region_of(i);
  redis.cli(args);
}

std::vector<std::string> postgres_totals(const postgres_server& pg) {
  auto out = pg.sql(
      "SELECT region || ',' || window_start || ',' || window_end || ',' || orders || ',' || "
      "amount_cents FROM region_totals");
  std::vector<std::string> lines;
  for (size_t at = 0; at < out.size();) {
    auto nl = out.find('\n', at);
    lines.push_back(out.substr(at, nl - at));
    at = nl == std::string::npos ? out.size() : nl + 1;
  }
  return lines;
}

std::vector<std::string> job_args(const std::vector<std::string>& inputs,
                                  const std::string& customers_uri, const std::string& output) {
  std::vector<std::string> args{"--input"};
  args.insert(args.end(), inputs.begin(), inputs.end());
  args.insert(args.end(), {"--customers", customers_uri, "--output", output, "--window",
                           "tumbling:" + std::to_string(window_ms), "--out-of-orderness",
                           std::to_string(bound_ms)});
  return args;
}

// Whether any node's log has `text`.
bool node_logs_have(test_cluster& c, const std::string& text) {
  for (int i = 0; i < 2; ++i)
    if (c.node(i).log().find(text) != std::string::npos) return true;
  return false;
}

// The orders of four splits, enough that the job runs for seconds with
// slow_options() and a fault lands in its middle.
constexpr int orders_per_split = 40000;

std::vector<std::vector<std::string>> four_splits(uint32_t seed, int lines = orders_per_split) {
  std::vector<std::vector<std::string>> splits;
  for (uint32_t i = 0; i < 4; ++i) splits.push_back(generate_orders(seed + i, lines));
  return splits;
}

// Runs order_totals with `args` on `c` and kills node 1 with SIGKILL once two
// checkpoints completed; the job must restart (the kill landed mid-run) and
// finish.
void run_killing_a_node(test_cluster& c, const std::vector<std::string>& args) {
  auto id = c.submit(job_library("order_totals"), slow_options(), args);
  ASSERT_TRUE(await_checkpoints(c, id, 2)) << c.coordinator_process().log();
  c.node(1).kill9();
  expect_finished(c, id);
  EXPECT_NE(c.coordinator_process().log().find("restarting (attempt 1)"), std::string::npos)
      << "the job ended before the kill";
}

// PostgreSQL lookups and PostgreSQL exactly-once output, node 1 killed once
// two checkpoints completed: the table holds exactly the failure-free totals.
TEST(enrichment, postgres_lookups_and_exactly_once_output_survive_a_node_kill) {
  postgres_server pg;
  load_postgres_customers(pg);
  test_cluster c(2, 2);
  auto splits = four_splits(100);
  auto expected = expected_totals(splits);
  run_killing_a_node(
      c, job_args(write_inputs(c.dir(), splits), pg.uri() + "?table=customers&key=id&value=region",
                  pg.uri() + "?table=region_totals"));
  auto diff = multiset_difference(expected, postgres_totals(pg));
  EXPECT_TRUE(diff.empty()) << "totals: " << diff;
  EXPECT_EQ(pg.sql("SELECT count(*) FROM pg_prepared_xacts"), "0\n");
}

// Redis lookups (HGET customers ID), file output, node 1 killed.
TEST(enrichment, redis_lookups_survive_a_node_kill) {
  redis_server redis;
  load_redis_customers(redis);
  test_cluster c(2, 2);
  auto splits = four_splits(200);
  auto out = c.dir() / "out";
  run_killing_a_node(c, job_args(write_inputs(c.dir(), splits),
                                 "redis://" + redis.address() + "?hash=customers", out));
  auto diff = multiset_difference(expected_totals(splits), read_result_lines(out));
  EXPECT_TRUE(diff.empty()) << "totals: " << diff;
}

// Redis lookups and exactly-once Redis output into a stream (XADD: a
// duplicate would be a second entry), node 1 killed: the stream holds exactly
// the failure-free totals, each once.
TEST(enrichment, redis_exactly_once_output_survives_a_node_kill) {
  redis_server redis;
  load_redis_customers(redis);
  test_cluster c(2, 2);
  auto splits = four_splits(600);
  run_killing_a_node(
      c, job_args(write_inputs(c.dir(), splits), "redis://" + redis.address() + "?hash=customers",
                  "redis://" + redis.address() + "/totals"));
  // XRANGE prints each entry's id, field ("region,start") and value (the line).
  std::vector<std::string> got;
  for (const auto& line : lines_of(redis.cli("XRANGE totals - +")))
    if (std::count(line.begin(), line.end(), ',') == 4) got.push_back(line);
  auto expected = expected_totals(splits);
  EXPECT_EQ(redis.cli("XLEN totals"), std::to_string(expected.size()) + "\n");
  auto diff = multiset_difference(expected, got);
  EXPECT_TRUE(diff.empty()) << "totals: " << diff;
}

// PostgreSQL (lookup table and output) restarted while the job runs: its
// lookups and its sink fail, the job retries or restarts from its
// checkpoint, and the table still holds every total once.
TEST(enrichment, a_postgres_restart_loses_nothing) {
  postgres_server pg;
  load_postgres_customers(pg);
  test_cluster c(2, 2);
  auto splits = four_splits(300);
  auto id = c.submit(job_library("order_totals"), slow_options(),
                     job_args(write_inputs(c.dir(), splits),
                              pg.uri() + "?table=customers&key=id&value=region&cache=0",
                              pg.uri() + "?table=region_totals"));
  ASSERT_TRUE(await_checkpoints(c, id, 2)) << c.coordinator_process().log();
  pg.restart(1500ms);
  expect_finished(c, id);
  EXPECT_TRUE(c.coordinator_process().log().find("restarting (attempt 1)") != std::string::npos ||
              node_logs_have(c, "failed"))
      << "the job did not notice the restart";
  auto diff = multiset_difference(expected_totals(splits), postgres_totals(pg));
  EXPECT_TRUE(diff.empty()) << "totals: " << diff;
}

// Redis stopped (SIGSTOP) for three seconds: lookups time out and go through
// the retry policy (or the job restarts); nothing is lost or doubled.
TEST(enrichment, redis_unreachable_for_seconds_loses_nothing) {
  redis_server redis;
  load_redis_customers(redis);
  test_cluster c(2, 2);
  auto splits = four_splits(400);
  auto out = c.dir() / "out";
  auto id = c.submit(
      job_library("order_totals"), slow_options(),
      job_args(write_inputs(c.dir(), splits),
               "redis://" + redis.address() + "?hash=customers&cache=0&timeout=300&retries=20",
               out));
  ASSERT_TRUE(await_checkpoints(c, id, 2)) << c.coordinator_process().log();
  redis.pause();
  std::this_thread::sleep_for(3s);
  redis.resume();
  expect_finished(c, id);
  EXPECT_TRUE(node_logs_have(c, "lookup redis")) << "no lookup failed while Redis was stopped";
  auto diff = multiset_difference(expected_totals(splits), read_result_lines(out));
  EXPECT_TRUE(diff.empty()) << "totals: " << diff;
}

// Orders from four Redis streams (bounded: up to the entries there at the
// start), node 1 killed: every total once.
TEST(enrichment, redis_streams_source_survives_a_node_kill) {
  redis_server redis;
  load_redis_customers(redis);
  temp_dir dir;
  auto splits = four_splits(500);
  std::string commands;
  std::string streams;
  for (size_t i = 0; i < splits.size(); ++i) {
    auto stream = "orders-" + std::to_string(i);
    streams += (i ? "," : "") + stream;
    for (const auto& l : splits[i]) commands += "XADD " + stream + " * line " + l + "\n";
  }
  write_file(dir / "commands", commands);
  redis.cli("< " + (dir / "commands") + " > /dev/null");
  ASSERT_EQ(redis.cli("XLEN orders-3"), std::to_string(orders_per_split) + "\n");
  test_cluster c(2, 2);
  auto out = c.dir() / "out";
  run_killing_a_node(c, job_args({"redis://" + redis.address() + "/" + streams + "?stop=latest"},
                                 "redis://" + redis.address() + "?hash=customers", out));
  auto diff = multiset_difference(expected_totals(splits), read_result_lines(out));
  EXPECT_TRUE(diff.empty()) << "totals: " << diff;
}

// A server without prepared transactions cannot take exactly-once output:
// the job is refused before it starts, in one line that says why.
TEST(enrichment, exactly_once_output_needs_prepared_transactions) {
  postgres_server pg(0);
  load_postgres_customers(pg);
  temp_dir dir;
  auto input = write_inputs(dir, {generate_orders(1, 10)});
  std::vector<std::string> argv{nagare_bin(), "run", job_library("order_totals"), "--"};
  for (auto& a : job_args(input, pg.uri() + "?table=customers&key=id&value=region",
                          pg.uri() + "?table=region_totals"))
    argv.push_back(a);
  auto r = run_process(argv, 60s);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("needs max_prepared_transactions > 0 on the server (it is 0"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(pg.sql("SELECT count(*) FROM region_totals"), "0\n");
}

// A lookup table that is not there is refused before the job starts.
TEST(enrichment, a_missing_lookup_table_is_refused_at_submit) {
  postgres_server pg;
  load_postgres_customers(pg);
  temp_dir dir;
  auto input = write_inputs(dir, {generate_orders(1, 10)});
  std::vector<std::string> argv{nagare_bin(), "run", job_library("order_totals"), "--"};
  for (auto& a :
       job_args(input, pg.uri() + "?table=no_such_table&key=id&value=region", dir / "out"))
    argv.push_back(a);
  auto r = run_process(argv, 60s);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no_such_table"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nagare::testing
