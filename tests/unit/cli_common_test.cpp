// The command line's shared pieces: HOST:PORT addresses (every bad form is a
// one-line error naming the input) and the aligned tables and durations of
// `nagare list` and the shell.
#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace nagare::cli
