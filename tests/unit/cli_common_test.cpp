// The command line's shared pieces: HOST:PORT addresses (every bad form is a
// one-line error naming the input), the job options of `run` and `submit`
// (checkpoints, restart strategy, savepoint ids), and the aligned tables,
// durations and sizes of `nagare list` and the shell.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "common.hpp"
#include "table.hpp"

namespace nagare::cli {

namespace {

bool mentions(const status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

// An IPv4 address with a port splits into host and port.
TEST(parse_address, accepts_ip_and_port) {
  auto a = parse_address("127.0.0.1:6123");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6123);
  EXPECT_EQ(a->text(), "127.0.0.1:6123");
}

// A host name and the lowest and highest ports are accepted.
TEST(parse_address, accepts_host_name_and_port_range_ends) {
  auto low = parse_address("localhost:1");
  ASSERT_TRUE(low.ok()) << low.error().message();
  EXPECT_EQ(low->host, "localhost");
  EXPECT_EQ(low->port, 1);
  auto high = parse_address("node-7.example.org:65535");
  ASSERT_TRUE(high.ok()) << high.error().message();
  EXPECT_EQ(high->host, "node-7.example.org");
  EXPECT_EQ(high->port, 65535);
}

// Port 0 ("any free port") is refused by default and accepted only where allowed.
TEST(parse_address, port_zero_only_where_allowed) {
  auto refused = parse_address("0.0.0.0:0");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(refused.error(), "0.0.0.0:0")) << refused.error().message();
  auto allowed = parse_address("0.0.0.0:0", true);
  ASSERT_TRUE(allowed.ok()) << allowed.error().message();
  EXPECT_EQ(allowed->host, "0.0.0.0");
  EXPECT_EQ(allowed->port, 0);
}

// Each malformed address is invalid_argument and its message quotes what the user typed.
TEST(parse_address, malformed_addresses_name_the_input) {
  struct bad_case {
    const char* text;
    const char* why;
  };
  for (const auto& c :
       {bad_case{"localhost", "missing port"}, bad_case{"localhost:", "empty port"},
        bad_case{":6123", "empty host"}, bad_case{"", "empty"},
        bad_case{"host:70000", "port above 65535"}, bad_case{"host:65536", "port just above 65535"},
        bad_case{"host:12ab", "port is not a number"}, bad_case{"host:-1", "negative port"},
        bad_case{"host:99999999999999999999", "port overflows"},
        bad_case{"host:6123 ", "trailing space"}}) {
    SCOPED_TRACE(c.why);
    auto a = parse_address(c.text);
    ASSERT_FALSE(a.ok()) << "accepted '" << c.text << "'";
    EXPECT_EQ(a.error().code(), errc::invalid_argument);
    EXPECT_TRUE(mentions(a.error(), "'" + std::string(c.text))) << a.error().message();
  }
}

// A non-numeric port is named on its own, so the user sees which part is wrong.
TEST(parse_address, bad_port_is_named) {
  auto a = parse_address("host:12ab");
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(mentions(a.error(), "12ab")) << a.error().message();
}

// The header comes first; text columns are left-aligned and numbers right-aligned,
// columns two spaces apart, and no line has trailing blanks.
TEST(table, aligns_text_left_and_numbers_right) {
  table t({"JOB", "NAME", "N", "STATE"});
  t.add({"7", "wc", "12345", "RUNNING"});
  t.add({"123", "keyed", "6", "FAILED"});
  EXPECT_EQ(t.render(),
            "JOB  NAME   N      STATE\n"
            "  7  wc     12345  RUNNING\n"
            "123  keyed      6  FAILED\n");
}

// A numeric last column is padded on the left; a header is never right-aligned.
TEST(table, numeric_last_column_and_header) {
  table t({"NAME", "RECORDS"});
  t.add({"a", "5"});
  t.add({"bb", "1.5"});
  t.add({"ccc", "1,024"});
  EXPECT_EQ(t.render(),
            "NAME  RECORDS\n"
            "a           5\n"
            "bb        1.5\n"
            "ccc     1,024\n");
}

// A table with only a header renders that one line.
TEST(table, header_only) {
  table t({"ID", "NAME"});
  EXPECT_EQ(t.render(), "ID  NAME\n");
}

// Durations: seconds with one decimal under a minute, then minutes and seconds, then
// hours and minutes (expected strings worked out by hand).
TEST(format_duration, picks_the_unit_by_size) {
  EXPECT_EQ(format_duration(5.26), "5.3s");
  EXPECT_EQ(format_duration(125), "2m05s");
  EXPECT_EQ(format_duration(3725), "1h02m");
  EXPECT_EQ(format_duration(0), "0.0s");
  EXPECT_EQ(format_duration(60), "1m00s");
  EXPECT_EQ(format_duration(3600), "1h00m");
}

// 5.25 is exactly representable, so printf's round-half-to-even gives 5.2 (not 5.3).
TEST(format_duration, tie_rounds_to_even) { EXPECT_EQ(format_duration(5.25), "5.2s"); }

// Regression: just under a minute once printed "60.0s", because the unit was
// chosen before the seconds were rounded to one decimal.
TEST(format_duration, just_under_a_minute) {
  auto text = format_duration(59.96);
  EXPECT_TRUE(text == "59.9s" || text == "1m00s") << text;
}

// What `nagare run ARGS` makes of its job options: the exit code
// apply_job_options (or parsing) returned, what it printed to stderr, and the
// options it filled in.
struct parsed_job_options {
  std::optional<int> code;
  std::string err;
  job_options opts;
};

parsed_job_options parse_job_options(const std::vector<std::string>& args) {
  parsed_job_options p;
  job_option_values values;
  po::options_description visible;
  add_job_options(visible, values);
  po::variables_map vm;
  testing::internal::CaptureStderr();
  p.code = parse_command("run", args, visible, {}, {}, vm);
  if (!p.code) p.code = apply_job_options(values, p.opts);
  p.err = testing::internal::GetCapturedStderr();
  return p;
}

// Without options, the checkpoint options are those of job_options and the
// submission: no periodic checkpoints, a 60 s timeout, three retained, exactly once.
TEST(job_options, checkpoint_defaults) {
  auto p = parse_job_options({});
  ASSERT_FALSE(p.code) << p.err;
  EXPECT_EQ(p.opts.checkpoint_interval_ms, 0u);
  EXPECT_EQ(p.opts.checkpoint_timeout_ms, 60000u);
  EXPECT_EQ(p.opts.min_pause_ms, 0u);
  EXPECT_EQ(p.opts.retained_checkpoints, 3u);
  EXPECT_FALSE(p.opts.at_least_once);
  EXPECT_FALSE(p.opts.require_exactly_once);
  EXPECT_EQ(p.opts.restart_strategy, "");
  EXPECT_EQ(p.opts.from_savepoint, "");
}

// Every checkpoint option given on the command line reaches job_options.
TEST(job_options, checkpoint_options_are_applied) {
  auto p = parse_job_options({"--checkpoint-interval", "500", "--checkpoint-timeout", "30000",
                              "--min-pause", "100", "--retained-checkpoints", "5",
                              "--at-least-once", "--restart-strategy", "exponential:100:5000:20",
                              "--require-exactly-once"});
  ASSERT_FALSE(p.code) << p.err;
  EXPECT_EQ(p.err, "");
  EXPECT_EQ(p.opts.checkpoint_interval_ms, 500u);
  EXPECT_EQ(p.opts.checkpoint_timeout_ms, 30000u);
  EXPECT_EQ(p.opts.min_pause_ms, 100u);
  EXPECT_EQ(p.opts.retained_checkpoints, 5u);
  EXPECT_TRUE(p.opts.at_least_once);
  EXPECT_TRUE(p.opts.require_exactly_once);
  EXPECT_EQ(p.opts.restart_strategy, "exponential:100:5000:20");
}

// The ends of each range are accepted.
TEST(job_options, range_ends_are_accepted) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--checkpoint-interval", "10"},
                                             {"--checkpoint-interval", "86400000"},
                                             {"--checkpoint-timeout", "10"},
                                             {"--checkpoint-timeout", "86400000"},
                                             {"--min-pause", "86400000"},
                                             {"--retained-checkpoints", "1"},
                                             {"--retained-checkpoints", "100"},
                                             {"--restart-strategy", "none"},
                                             {"--restart-strategy", "fixed-delay:0:1"}}) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    auto p = parse_job_options(args);
    EXPECT_FALSE(p.code) << p.err;
  }
}

// Each value out of range is a usage error (exit 2) whose one line names the
// option, its range and what was given.
TEST(job_options, out_of_range_values_are_one_line_errors) {
  struct bad_case {
    std::vector<std::string> args;
    const char* message;
  };
  for (const auto& c : std::vector<bad_case>{
           {{"--checkpoint-interval", "5"},
            "--checkpoint-interval must be 0 (no checkpoints) or between 10 and 86400000, got 5"},
           {{"--checkpoint-interval", "-1"},
            "--checkpoint-interval must be 0 (no checkpoints) or between 10 and 86400000, got -1"},
           {{"--checkpoint-interval", "86400001"},
            "--checkpoint-interval must be 0 (no checkpoints) or between 10 and 86400000, got "
            "86400001"},
           {{"--checkpoint-timeout", "0"},
            "--checkpoint-timeout must be between 10 and 86400000, got 0"},
           {{"--min-pause", "-5"}, "--min-pause must be between 0 and 86400000, got -5"},
           {{"--retained-checkpoints", "0"},
            "--retained-checkpoints must be between 1 and 100, got 0"},
           {{"--retained-checkpoints", "101"},
            "--retained-checkpoints must be between 1 and 100, got 101"}}) {
    SCOPED_TRACE(c.args[0] + " " + c.args[1]);
    auto p = parse_job_options(c.args);
    ASSERT_TRUE(p.code);
    EXPECT_EQ(*p.code, usage);
    EXPECT_EQ(p.err, "nagare: error: " + std::string(c.message) + "\n");
  }
}

// A bad restart strategy is refused on the client with restart_policy's own
// explanation, prefixed by the option's name.
TEST(job_options, bad_restart_strategy_names_the_problem) {
  for (const char* spec : {"sometimes", "fixed-delay:500", "exponential:500:100:3", "none:1"}) {
    SCOPED_TRACE(spec);
    auto p = parse_job_options({"--restart-strategy", spec});
    ASSERT_TRUE(p.code);
    EXPECT_EQ(*p.code, usage);
    EXPECT_EQ(
        p.err.rfind(
            "nagare: error: --restart-strategy: restart strategy '" + std::string(spec) + "': ", 0),
        0u)
        << p.err;
    EXPECT_EQ(p.err.find('\n'), p.err.size() - 1) << p.err;
  }
}

// The state backend is memory unless --state-backend says leveldb; anything else is refused,
// and so is a cache of no keys.
TEST(job_options, state_backend_is_memory_or_leveldb) {
  auto p = parse_job_options({});
  ASSERT_FALSE(p.code) << p.err;
  EXPECT_EQ(p.opts.state_backend, "memory");
  EXPECT_EQ(p.opts.state_cache_keys, 65536u);
  p = parse_job_options({"--state-backend", "leveldb", "--state-cache-keys", "100"});
  ASSERT_FALSE(p.code) << p.err;
  EXPECT_EQ(p.opts.state_backend, "leveldb");
  EXPECT_EQ(p.opts.state_cache_keys, 100u);
  p = parse_job_options({"--state-backend", "rocksdb"});
  ASSERT_TRUE(p.code);
  EXPECT_EQ(*p.code, usage);
  EXPECT_EQ(p.err, "nagare: error: --state-backend must be memory or leveldb, got 'rocksdb'\n");
  p = parse_job_options({"--state-cache-keys", "0"});
  ASSERT_TRUE(p.code);
  EXPECT_EQ(p.err, "nagare: error: --state-cache-keys must be between 1 and 1073741824, got 0\n");
}

// A value that is not a number is a parse error naming the option.
TEST(job_options, non_numeric_value_is_a_usage_error) {
  auto p = parse_job_options({"--checkpoint-interval", "1s"});
  ASSERT_TRUE(p.code);
  EXPECT_EQ(*p.code, usage);
  EXPECT_NE(p.err.find("checkpoint-interval"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("(see nagare run --help)"), std::string::npos) << p.err;
}

// Savepoint ids are JOB-CHECKPOINT, both numbers from 1, as `nagare savepoint` prints them.
TEST(check_savepoint_id, accepts_job_dash_checkpoint) {
  for (const char* id : {"3-17", "1-1", "123456-9876543210"}) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(check_savepoint_id(id).ok()) << check_savepoint_id(id).message();
  }
}

// Every other shape is invalid_argument, quoting the input and showing the expected form.
TEST(check_savepoint_id, refuses_other_shapes) {
  for (const char* id : {"", "3", "3-", "-17", "0-5", "3-0", "a-b", "3-17-2", "3.17", " 3-17",
                         "3-+17", "99999999999999999999-1"}) {
    SCOPED_TRACE(id);
    auto st = check_savepoint_id(id);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), errc::invalid_argument);
    EXPECT_EQ(st.message(), "'" + std::string(id) +
                                "' is not a savepoint id: expected JOB-CHECKPOINT, two numbers "
                                "from 1 as `nagare savepoint` prints them, e.g. 3-17");
  }
}

// Milliseconds: one decimal below 10 ms, whole milliseconds above; nothing
// measured (negative, NaN) is 0.0 ms.
TEST(format_ms, one_decimal_below_ten) {
  EXPECT_EQ(format_ms(0), "0.0 ms");
  EXPECT_EQ(format_ms(0.44), "0.4 ms");
  EXPECT_EQ(format_ms(9.9), "9.9 ms");
  EXPECT_EQ(format_ms(9.96), "10 ms");  // not "10.0 ms"
  EXPECT_EQ(format_ms(12.4), "12 ms");
  EXPECT_EQ(format_ms(60000), "60000 ms");
  EXPECT_EQ(format_ms(-3), "0.0 ms");
}

// Sizes: bytes below 1 KiB, then KiB, MiB, GiB with one decimal; a value that
// would print as 1024.0 of one unit moves up to the next.
TEST(format_bytes, binary_units) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.0 KiB");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3 * 1024 * 1024), "3.0 MiB");
  EXPECT_EQ(format_bytes(1024 * 1024 - 1), "1.0 MiB");  // 1023.999 KiB
  EXPECT_EQ(format_bytes(2362232013ull), "2.2 GiB");
}

// Local time, here in UTC (TZ set for the test): with and without the date;
// fractions of a second are cut off, not rounded.
TEST(format_local_time, in_the_local_time_zone) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(format_local_time(1795566807.9, true), "2026-11-25 00:33:27");
  EXPECT_EQ(format_local_time(1795566807.9, false), "00:33:27");
  if (old)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

// align_right right-aligns a text column below its header.
TEST(table, align_right_column) {
  table t({"ID", "SIZE", "NAME"});
  t.align_right(1);
  t.add({"1", "1.5 KiB", "a"});
  t.add({"2", "512 B", "b"});
  EXPECT_EQ(t.render(),
            "ID  SIZE     NAME\n"
            " 1  1.5 KiB  a\n"
            " 2    512 B  b\n");
}

}  // namespace
}  // namespace nagare::cli
