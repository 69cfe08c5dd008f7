// A job's own arguments: values, required, integer and only, and error
// messages that name the option the user got wrong.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nagare/job_args.hpp"

namespace nagare {
namespace {

using strings = std::vector<std::string>;

bool mentions(const status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

// values() collects everything after the option up to the next option.
TEST(job_args, values_stop_at_the_next_option) {
  job_args a({"--input", "a.txt", "b.txt", "--output", "out"});
  EXPECT_EQ(a.values("--input"), (strings{"a.txt", "b.txt"}));
  EXPECT_EQ(a.values("--output"), (strings{"out"}));
  EXPECT_EQ(a.values("--missing"), strings{});
}

// A repeated option accumulates its values in order.
TEST(job_args, repeated_option_accumulates_values) {
  job_args a({"--input", "a", "--flag", "--input", "b", "c"});
  EXPECT_EQ(a.values("--input"), (strings{"a", "b", "c"}));
  EXPECT_EQ(a.values("--flag"), strings{});
}

// A single dash value such as a negative number is a value, not an option.
TEST(job_args, negative_number_is_a_value) {
  job_args a({"--offset", "-5", "--x"});
  EXPECT_EQ(a.values("--offset"), (strings{"-5"}));
}

// has() finds a flag without values; option names match exactly.
TEST(job_args, has_matches_exact_option) {
  job_args a({"--verbose", "--in", "x"});
  EXPECT_TRUE(a.has("--verbose"));
  EXPECT_TRUE(a.has("--in"));
  EXPECT_FALSE(a.has("--input"));
  EXPECT_FALSE(a.has("--verb"));
}

// required() returns the one value.
TEST(job_args, required_returns_the_value) {
  auto r = job_args({"--out", "dir"}).required("--out");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value(), "dir");
}

// required() on a missing option is an invalid_argument naming the option.
TEST(job_args, required_missing_names_the_option) {
  auto r = job_args({"--other", "x"}).required("--out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(r.error(), "--out")) << r.error().message();
}

// required() on an option given without a value is an error naming the option.
TEST(job_args, required_without_value_names_the_option) {
  auto r = job_args({"--out", "--other"}).required("--out");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r.error(), "--out")) << r.error().message();
}

// required() with several values is an error naming the option and the count.
TEST(job_args, required_with_several_values_names_the_option) {
  auto r = job_args({"--out", "a", "b"}).required("--out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(r.error(), "--out")) << r.error().message();
  EXPECT_TRUE(mentions(r.error(), "2")) << r.error().message();
}

// integer() falls back when the option is absent.
TEST(job_args, integer_falls_back_when_absent) {
  auto r = job_args({"--other", "1"}).integer("--count", 17);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 17);
}

// integer() parses positive, negative and 64-bit values.
TEST(job_args, integer_parses_values) {
  EXPECT_EQ(job_args({"--n", "42"}).integer("--n", 0).value(), 42);
  EXPECT_EQ(job_args({"--n", "-7"}).integer("--n", 0).value(), -7);
  EXPECT_EQ(job_args({"--n", "9000000000"}).integer("--n", 0).value(), 9000000000LL);
}

// integer() rejects a non-number, naming the option and the bad value.
TEST(job_args, integer_rejects_text) {
  for (const char* bad : {"abc", "12x", "", "1.5"}) {
    auto r = job_args({"--n", bad}).integer("--n", 0);
    ASSERT_FALSE(r.ok()) << "'" << bad << "'";
    EXPECT_EQ(r.error().code(), errc::invalid_argument);
    EXPECT_TRUE(mentions(r.error(), "--n")) << r.error().message();
    EXPECT_TRUE(mentions(r.error(), std::string("'") + bad + "'")) << r.error().message();
  }
}

// Regression (job_args fuzz target): strtoll skipped leading white space and
// stopped at a NUL, so " 12" and "-12\0junk" (arguments travel inside a
// submission, NULs and all) read as integers. Only a sign and digits do.
TEST(job_args, integer_is_a_sign_and_digits_only) {
  using namespace std::string_literals;
  for (const auto& bad : {" 12"s, "\t12"s, "-12\0junk"s, "12\0"s, "-"s, "+"s, "- 1"s}) {
    auto r = job_args({"--n", bad}).integer("--n", 0);
    EXPECT_FALSE(r.ok()) << "'" << bad << "'";
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), errc::invalid_argument);
    }
  }
  EXPECT_EQ(job_args({"--n", "+7"}).integer("--n", 0).value(), 7);
  EXPECT_EQ(job_args({"--n", "-0"}).integer("--n", 1).value(), 0);
}

// integer() rejects a value outside int64 rather than clamping it.
TEST(job_args, integer_rejects_overflow) {
  auto r = job_args({"--n", "99999999999999999999"}).integer("--n", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r.error(), "--n")) << r.error().message();
}

// integer() on a flag given without a value is an error, not the fallback.
TEST(job_args, integer_without_value_is_an_error) {
  auto r = job_args({"--n"}).integer("--n", 5);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r.error(), "--n")) << r.error().message();
}

// integer() with several values is an error naming the option.
TEST(job_args, integer_with_several_values_is_an_error) {
  auto r = job_args({"--n", "1", "2"}).integer("--n", 5);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r.error(), "--n")) << r.error().message();
}

// only() accepts known options with and without values, and no arguments at all.
TEST(job_args, only_accepts_known_options) {
  EXPECT_TRUE(job_args({"--in", "a", "b", "--verbose"}).only({"--in", "--verbose", "--out"}).ok());
  EXPECT_TRUE(job_args().only({"--in"}).ok());
}

// only() names the first unknown option.
TEST(job_args, only_names_unknown_option) {
  auto st = job_args({"--in", "a", "--oops", "--bad"}).only({"--in"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(st, "'--oops'")) << st.message();
}

// only() names a value that comes before any option.
TEST(job_args, only_names_stray_value) {
  auto st = job_args({"stray", "--in", "a"}).only({"--in"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::invalid_argument);
  EXPECT_TRUE(mentions(st, "'stray'")) << st.message();
}

// The overload with a lower bound: the value, the fallback, or an error naming
// the option, the bound and the value.
TEST(job_args, integer_at_least) {
  EXPECT_EQ(job_args({"--n", "0"}).integer("--n", 5, 0).value(), 0);
  EXPECT_EQ(job_args().integer("--n", 5, 1).value(), 5);
  auto low = job_args({"--n", "-3"}).integer("--n", 5, 0);
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error().message(), "--n must be >= 0, got -3");
  EXPECT_FALSE(job_args({"--n", "x"}).integer("--n", 5, 0).ok());
}

// all() keeps the arguments exactly as given.
TEST(job_args, all_keeps_arguments) {
  strings argv{"--a", "1", "x"};
  EXPECT_EQ(job_args(argv).all(), argv);
}

}  // namespace
}  // namespace nagare
