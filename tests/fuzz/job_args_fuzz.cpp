// Fuzz target "job_args": a job's arguments (nagare/job_args.hpp), which
// travel with a submission and which a job's main reads on every node. The
// input is the argument vector, one argument per line.
//
// Invariants: has(o) is whether o is an argument; values(o) are arguments
// that are not options, none without o; required(o) is the one value or an
// invalid_argument; integer(o) is the fallback without o, and a value it
// accepts is an optional sign and decimal digits and nothing else; only(...)
// accepts arguments whose options are all known and that start with one.
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "nagare/job_args.hpp"

namespace nagare::fuzz {

namespace {

constexpr const char* target = "job_args";

bool is_option(const std::string& s) { return s.size() > 2 && s[0] == '-' && s[1] == '-'; }

bool integer_text(const std::string& s) {
  size_t i = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

void check_option(const job_args& args, const std::string& o) {
  const auto& argv = args.all();
  const bool present = std::find(argv.begin(), argv.end(), o) != argv.end();
  NAGARE_FUZZ_CHECK(target, args.has(o) == present, "has(" + o + ")");
  const auto values = args.values(o);
  NAGARE_FUZZ_CHECK(target, present || values.empty(), "values of an absent option");
  for (const auto& v : values)
    NAGARE_FUZZ_CHECK(target, !is_option(v) && std::find(argv.begin(), argv.end(), v) != argv.end(),
                      "value '" + v + "' of " + o + " is not a value given");
  auto one = args.required(o);
  NAGARE_FUZZ_CHECK(target, one.ok() == (values.size() == 1), "required(" + o + ")");
  if (one.ok()) NAGARE_FUZZ_CHECK(target, one.value() == values[0], "required() differs");
  if (!one.ok())
    NAGARE_FUZZ_CHECK(target, one.error().code() == errc::invalid_argument, one.error().message());
  auto n = args.integer(o, -7);
  if (!present) {
    NAGARE_FUZZ_CHECK(target, n.ok() && n.value() == -7, "integer() of an absent option");
  } else if (n.ok()) {
    NAGARE_FUZZ_CHECK(target, values.size() == 1 && integer_text(values[0]),
                      "integer() accepts '" + (values.empty() ? "" : values[0]) + "'");
    NAGARE_FUZZ_CHECK(target, std::stoll(values[0]) == n.value(), "integer() reads another value");
  }
}

}  // namespace

int fuzz_job_args(const uint8_t* data, size_t size) {
  std::vector<std::string> argv;
  std::string arg;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      argv.push_back(std::move(arg));
      arg.clear();
    } else {
      arg.push_back(static_cast<char>(data[i]));
    }
  }
  if (size > 0) argv.push_back(std::move(arg));
  const job_args args(argv);

  for (const char* o : {"--input", "--output", "--n", "--flag"}) check_option(args, o);
  for (const auto& a : argv)
    if (is_option(a)) check_option(args, a);

  auto st = args.only({"--input", "--output", "--n", "--flag"});
  bool known = argv.empty() || is_option(argv[0]);
  for (const auto& a : argv)
    if (is_option(a))
      known = known && (a == "--input" || a == "--output" || a == "--n" || a == "--flag");
  NAGARE_FUZZ_CHECK(target, st.ok() == known,
                    "only() " + std::string(st.ok() ? "accepts" : "refuses") + " the arguments");
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_job_args)
