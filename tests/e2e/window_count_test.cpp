// WindowCount end to end: `nagare run libwindow_count.so` over generated
// out-of-order "timestamp,key,value" files, its windows and late records
// compared (as multisets of lines) with what the independent reference
// (tests/support/window_reference) computes. The reference itself is checked
// first against small cases worked out by hand.
#include <gtest/gtest.h>

#include "dead_letter_reference.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"
#include "window_input.hpp"
#include "window_reference.hpp"

namespace nagare::testing {
namespace {

window_record rec(int64_t ts, const std::string& key, int64_t value) {
  auto line = std::to_string(ts) + "," + key + "," + std::to_string(value);
  window_record r;
  EXPECT_TRUE(parse_window_record(line, r)) << line;
  return r;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// --- The reference against hand-computed cases ---------------------------

// Tumbling windows of 10 ms without lateness: a window fires once the
// watermark reaches its last millisecond; records for it later are late,
// and floor division places negative timestamps.
TEST(window_reference, tumbling_fires_at_watermark_and_drops_late_records) {
  window_simulation s(window_spec::tumbling(10), 0);
  s.add(rec(5, "a", 1));
  s.add(rec(12, "a", 2));
  s.advance(8);
  EXPECT_TRUE(s.results().empty());
  s.advance(9);
  EXPECT_EQ(s.results(), std::vector<std::string>{"a,0,10,1,1"});
  EXPECT_EQ(s.add(rec(-3, "a", 4)), "-10:dropped ");
  EXPECT_EQ(s.add(rec(7, "a", 8)), "0:dropped ");
  s.add(rec(-30, "b", 1));  // a new window behind the watermark: late as well
  s.finish();
  EXPECT_EQ(sorted(s.results()), (std::vector<std::string>{"a,0,10,1,1", "a,10,20,1,2"}));
  EXPECT_EQ(s.late(), (std::vector<std::string>{"-3,a,4", "7,a,8", "-30,b,1"}));
}

// Allowed lateness 5: a record for a fired window fires it again at once
// with the whole updated result, until the watermark passes max + 5.
TEST(window_reference, lateness_refires_until_purged) {
  window_simulation s(window_spec::tumbling(10), 5);
  s.add(rec(5, "a", 1));
  s.advance(9);
  EXPECT_EQ(s.add(rec(7, "a", 2)), "0:refires ");
  EXPECT_EQ(s.add(rec(-1, "a", 1)), "-10:dropped ");  // [-10, 0): max -1, kept until 4 only
  s.advance(13);
  EXPECT_EQ(s.add(rec(0, "a", 4)), "0:refires ");
  s.advance(14);
  EXPECT_EQ(s.add(rec(8, "a", 8)), "0:dropped ");
  s.finish();
  EXPECT_EQ(sorted(s.results()),
            (std::vector<std::string>{"a,0,10,1,1", "a,0,10,2,3", "a,0,10,3,7"}));
  EXPECT_EQ(s.late(), (std::vector<std::string>{"-1,a,1", "8,a,8"}));
  EXPECT_EQ(s.refired(), 2u);
}

// Sliding windows of 10 every 5: a record is in two windows; it is late only
// when it is too late for both.
TEST(window_reference, sliding_windows_hold_each_record_twice) {
  window_simulation s(window_spec::sliding(10, 5), 0);
  s.add(rec(7, "b", 3));
  s.add(rec(-1, "b", 1));
  s.advance(9);  // [0, 10) fires; [5, 15) still open
  EXPECT_EQ(s.add(rec(8, "b", 10)), "5:pending 0:dropped ");
  s.finish();
  EXPECT_EQ(sorted(s.results()),
            (std::vector<std::string>{"b,-10,0,1,1", "b,-5,5,1,1", "b,0,10,1,3", "b,5,15,2,13"}));
  EXPECT_TRUE(s.late().empty());
}

// Sessions with gap 10: windows that touch merge ([0, 10) and [10, 20)); a
// record between two sessions bridges them.
TEST(window_reference, sessions_merge_when_they_touch) {
  window_simulation s(window_spec::session(10), 0);
  s.add(rec(0, "s", 1));
  s.add(rec(25, "s", 2));
  EXPECT_EQ(s.add(rec(10, "s", 4)), "merges 0:10 pending");
  s.add(rec(50, "t", 1));
  s.finish();
  EXPECT_EQ(sorted(s.results()),
            (std::vector<std::string>{"s,0,20,2,5", "s,25,35,1,2", "t,50,60,1,1"}));

  window_simulation bridged(window_spec::session(10), 0);
  bridged.add(rec(0, "s", 1));
  bridged.add(rec(25, "s", 2));
  bridged.add(rec(10, "s", 4));
  EXPECT_EQ(bridged.add(rec(15, "s", 8)), "merges 0:20 25:35 pending");
  bridged.finish();
  EXPECT_EQ(bridged.results(), std::vector<std::string>{"s,0,35,4,15"});
}

// A session that fired stays mergeable within the lateness: the merged
// session fires at once if its end is behind the watermark.
TEST(window_reference, late_session_record_refires_merged_session) {
  window_simulation s(window_spec::session(10), 100);
  s.add(rec(0, "s", 1));
  s.advance(9);  // [0, 10) fires
  EXPECT_EQ(s.add(rec(-5, "s", 2)), "merges 0:10:fired fires");
  s.advance(50);
  EXPECT_EQ(s.add(rec(30, "s", 4)), "merges fires");  // a new session, already behind
  s.advance(200);
  EXPECT_EQ(s.add(rec(40, "s", 8)), "late");
  s.finish();
  EXPECT_EQ(sorted(s.results()),
            (std::vector<std::string>{"s,-5,10,2,3", "s,0,10,1,1", "s,30,40,1,4"}));
}

// Count windows of 2: arrival order, start and end the smallest and largest
// timestamp; the incomplete rest is never emitted.
TEST(window_reference, count_windows_emit_complete_windows_only) {
  window_simulation s(window_spec::count_of(2), 0);
  s.advance(1000);  // the watermark does not matter
  s.add(rec(5, "c", 1));
  s.add(rec(3, "c", 2));
  s.add(rec(9, "c", 4));
  s.finish();
  EXPECT_EQ(s.results(), std::vector<std::string>{"c,3,5,2,3"});
}

// Sums wrap around modulo 2^64 like the job's.
TEST(window_reference, sums_wrap) {
  window_simulation s(window_spec::tumbling(10), 0);
  s.add(rec(1, "w", INT64_MAX));
  s.add(rec(2, "w", 2));
  s.finish();
  EXPECT_EQ(s.results(), std::vector<std::string>{"w,0,10,2,-9223372036854775807"});
}

// Inputs whose result depends on the engine's timing are refused.
TEST(window_reference, timing_dependent_inputs_are_invalid) {
  // One file: "1000,a,1" is beyond the bound; whether its window has fired
  // when it arrives depends on how far the watermark has come.
  std::string text;
  for (int64_t t = 0; t < 20000; t += 2) text += std::to_string(t) + ",a,1\n";
  text += "17000,a,1\n";
  auto e = expected_windows({text}, window_spec::tumbling(1000), 10, 0);
  EXPECT_NE(e.invalid, "");
  // Several files: any record beyond the bound.
  auto two = expected_windows({"100,a,1\n50,a,1\n", "10,b,1\n"}, window_spec::tumbling(10), 10, 0);
  EXPECT_NE(two.invalid.find("beyond"), std::string::npos) << two.invalid;
  // Count windows over several files: a key in two of them.
  auto shared = expected_windows({"1,a,1\n", "2,a,1\n"}, window_spec::count_of(2), 0, 0);
  EXPECT_NE(shared.invalid.find("several files"), std::string::npos) << shared.invalid;
  // Sessions over several files: records exactly the gap apart.
  auto touching = expected_windows({"0,a,1\n", "10,a,1\n"}, window_spec::session(10), 0, 0);
  EXPECT_NE(touching.invalid.find("gap"), std::string::npos) << touching.invalid;
}

// --- The job ---------------------------------------------------------------

process_result run_window_count(const std::vector<std::string>& options,
                                const std::vector<std::string>& job_args) {
  std::vector<std::string> argv = {nagare_bin(), "run", job_library("window_count")};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), job_args.begin(), job_args.end());
  return run_process(argv);
}

struct job_case {
  std::vector<std::string> paths;
  std::vector<std::string> texts;
  std::vector<std::string> dead_letters;  // the dead-letter output's lines
  window_expectation expected;
  std::vector<std::string> args;  // the job's arguments
  std::string out;
};

// Writes the files generated with `files` into `dir` and computes what the
// job run on them with `spec`, bound and lateness of files[0] must write.
job_case prepare(const temp_dir& dir, const std::vector<window_input_options>& files) {
  job_case c;
  std::vector<std::string> texts;
  for (size_t i = 0; i < files.size(); ++i) {
    texts.push_back(generate_window_input(files[i]));
    c.paths.push_back(dir / ("in" + std::to_string(i) + ".csv"));
    write_file(c.paths.back(), texts.back());
  }
  const auto& o = files[0];
  c.expected = expected_windows(texts, o.spec, o.bound, o.lateness);
  c.dead_letters = expected_dead_letters(c.paths, texts, window_count_rejection);
  EXPECT_EQ(c.dead_letters.size(), c.expected.malformed);  // the two references agree
  c.texts = std::move(texts);
  c.out = dir / "out";
  c.args = {"--input"};
  c.args.insert(c.args.end(), c.paths.begin(), c.paths.end());
  c.args.insert(c.args.end(), {"--output", c.out, "--window", o.spec.text(), "--out-of-orderness",
                               std::to_string(o.bound)});
  if (o.lateness > 0) c.args.insert(c.args.end(), {"--lateness", std::to_string(o.lateness)});
  return c;
}

void expect_output(const job_case& c) {
  auto got = read_window_output(c.out);
  auto diff = multiset_difference(c.expected.results, got.results);
  EXPECT_TRUE(diff.empty()) << "windows: " << diff;
  auto late = multiset_difference(c.expected.late, got.late);
  EXPECT_TRUE(late.empty()) << "late records: " << late;
  auto dead = multiset_difference(c.dead_letters, read_result_lines(c.out + "/_dead-letter"));
  EXPECT_TRUE(dead.empty()) << "dead letters: " << dead;
}

// One file read at parallelism p > 1: the file's subtask is the only
// source subtask (--source-parallelism 1). Otherwise the others, with
// nothing to read, hold back the window tasks' watermark until their end
// arrives, and under load records beyond the bound can reach the windows
// before it: later than the reference's watermark lag allows.
void one_reading_subtask(job_case& c, int parallelism) {
  if (parallelism > 1) c.args.insert(c.args.end(), {"--source-parallelism", "1"});
}

struct kind_case {
  const char* name;
  window_spec spec;
  int64_t start;  // of the first file's timestamps
};

void PrintTo(const kind_case& k, std::ostream* os) { *os << k.spec.text(); }

// Window kinds on three files of records out of order within the bound, at
// parallelism 1 and 3. Sessions use even timestamps and an odd gap (no two
// records exactly a gap apart), count windows keys of one file each.
class window_kinds : public ::testing::TestWithParam<std::tuple<kind_case, int>> {};

TEST_P(window_kinds, match_reference_on_out_of_order_files) {
  const auto& [kind, parallelism] = GetParam();
  temp_dir dir;
  std::vector<window_input_options> files;
  const size_t lines[] = {30000, 8000, 1};
  for (uint32_t i = 0; i < 3; ++i) {
    window_input_options o;
    o.seed = 100 + i;
    o.lines = lines[i];
    o.spec = kind.spec;
    o.start = kind.start + 777 * i;
    o.bound = 2000;
    o.behind = 0.4;
    o.malformed = 0.02;
    o.final_newline = i != 1;
    if (kind.spec.type == window_spec::kind::session) {
      o.keys = 400;
      o.timestamp_multiple = 2;
    }
    if (kind.spec.type == window_spec::kind::count) o.key_prefix = "f" + std::to_string(i) + "-";
    files.push_back(o);
  }
  auto c = prepare(dir, files);
  ASSERT_EQ(c.expected.invalid, "");
  ASSERT_GT(c.expected.results.size(), 100u);
  auto r = run_window_count({"-p", std::to_string(parallelism)}, c.args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_output(c);
  auto counts =
      dead_letter_count_difference(r.err, "lines",
                                   dead_letters_per_subtask(c.texts, window_count_rejection,
                                                            static_cast<uint32_t>(parallelism)));
  EXPECT_TRUE(counts.empty()) << counts;
}

const kind_case kinds[] = {
    {"tumbling", window_spec::tumbling(10000), -60000},  // crosses 0: floor division
    {"sliding", window_spec::sliding(10000, 2500), 1'700'000'000'000},
    {"session", window_spec::session(997), 1'700'000'000'000},
    {"count", window_spec::count_of(5), 1'700'000'000'000},
};

INSTANTIATE_TEST_SUITE_P(kinds_and_parallelism, window_kinds,
                         ::testing::Combine(::testing::ValuesIn(kinds), ::testing::Values(1, 3)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) + "_p" +
                                  std::to_string(std::get<1>(info.param));
                         });

// One file with records far beyond the bound and no lateness: records too
// late for every window go to DIR/late unchanged (CRLF endings and leading
// zeros included), every window fires once; at parallelism 1 and 3.
class late_records : public ::testing::TestWithParam<std::tuple<kind_case, int>> {};

TEST_P(late_records, go_to_the_late_directory_exactly) {
  const auto& [kind, parallelism] = GetParam();
  temp_dir dir;
  window_input_options o;
  o.seed = 7;
  o.lines = 40000;
  o.spec = kind.spec;
  o.start = kind.start;
  o.bound = 1000;
  o.beyond = 0.05;
  o.beyond_range = 60000;
  o.malformed = 0.01;
  if (kind.spec.type == window_spec::kind::session) o.keys = 400;
  auto c = prepare(dir, {o});
  ASSERT_EQ(c.expected.invalid, "");
  if (kind.spec.type == window_spec::kind::count) {
    EXPECT_TRUE(c.expected.late.empty());
  } else {
    ASSERT_GT(c.expected.late.size(), 100u);
  }
  one_reading_subtask(c, parallelism);
  auto r = run_window_count({"-p", std::to_string(parallelism)}, c.args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_output(c);
}

INSTANTIATE_TEST_SUITE_P(kinds_and_parallelism, late_records,
                         ::testing::Combine(::testing::ValuesIn(kinds), ::testing::Values(1, 3)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) + "_p" +
                                  std::to_string(std::get<1>(info.param));
                         });

// Allowed lateness: a record for a fired window within the lateness fires it
// again at once with its updated count and sum (the window appears once more
// per such record); records later than that still go to DIR/late.
class lateness : public ::testing::TestWithParam<std::tuple<kind_case, int>> {};

TEST_P(lateness, refires_windows_with_updated_results) {
  const auto& [kind, parallelism] = GetParam();
  temp_dir dir;
  window_input_options o;
  o.seed = 13;
  o.lines = 40000;
  o.spec = kind.spec;
  o.start = kind.start;
  o.bound = 1000;
  o.beyond = 0.05;
  o.lateness = 60000;  // more than the watermark's lag (4096 records, ~15 s)
  o.beyond_range = 150000;
  if (kind.spec.type == window_spec::kind::session) o.keys = 400;
  auto c = prepare(dir, {o});
  ASSERT_EQ(c.expected.invalid, "");
  ASSERT_GT(c.expected.refired, 100u);
  ASSERT_GT(c.expected.late.size(), 100u);
  one_reading_subtask(c, parallelism);
  auto r = run_window_count({"-p", std::to_string(parallelism)}, c.args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_output(c);
}

const kind_case time_kinds[] = {kinds[0], kinds[1], kinds[2]};

INSTANTIATE_TEST_SUITE_P(kinds_and_parallelism, lateness,
                         ::testing::Combine(::testing::ValuesIn(time_kinds),
                                            ::testing::Values(1, 3)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) + "_p" +
                                  std::to_string(std::get<1>(info.param));
                         });

// Malformed lines are dead letters: each is in DIR/_dead-letter once, with
// its file, offset and reason, and the one source subtask that reads the
// file reports exactly their number.
TEST(window_count, malformed_lines_are_counted_and_skipped) {
  temp_dir dir;
  window_input_options o;
  o.seed = 5;
  o.lines = 5000;
  o.malformed = 0.1;
  auto c = prepare(dir, {o});
  ASSERT_EQ(c.expected.invalid, "");
  ASSERT_GT(c.expected.malformed, 100u);
  auto r = run_window_count({"-p", "2"}, c.args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_output(c);
  auto counts = dead_letter_count_difference(
      r.err, "lines", dead_letters_per_subtask(c.texts, window_count_rejection, 2));
  EXPECT_TRUE(counts.empty()) << counts;
  auto phrase = "lines (1/2): " + std::to_string(c.expected.malformed) + " dead letters";
  EXPECT_NE(r.err.find(phrase), std::string::npos) << "expected '" << phrase << "' in " << r.err;
}

// Timestamps within a window of the 64-bit limits: a record with a window
// that cannot be represented goes to DIR/late/ (no window loses it silently,
// none holds it in part), the others to their windows; the closing line
// counts the late records.
TEST(window_count, records_at_the_limits_of_time_go_to_the_late_output) {
  const std::string text =
      "-9223372036854775000,c,2\n"  // windows start before -2^63
      "-9223372036854770000,d,5\n"
      "1000,e,1\n"
      "9223372036854765807,b,4\n"   // tumbling: its window ends before 2^63 - 1
      "9223372036854770000,a,3\n"   // every window ends after 2^63 - 1
      "9223372036854775807,f,6\n";  // max_timestamp itself
  for (auto spec : {window_spec::tumbling(10000), window_spec::sliding(10000, 3000),
                    window_spec::session(1000)}) {
    SCOPED_TRACE(spec.text());
    temp_dir dir;
    job_case c;
    c.paths = {dir / "in.csv"};
    write_file(c.paths[0], text);
    c.texts = {text};
    c.expected = expected_windows(c.texts, spec, 0, 0);
    ASSERT_EQ(c.expected.invalid, "");
    // a, c and f; of sessions [ts, ts + gap) only f's cannot be represented.
    ASSERT_GE(c.expected.late.size(), spec.type == window_spec::kind::session ? 1u : 3u);
    c.out = dir / "out";
    c.args = {"--input",  c.paths[0],  "--output",           c.out,
              "--window", spec.text(), "--out-of-orderness", "0"};
    auto r = run_window_count({"-p", "2"}, c.args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_output(c);
    auto phrase = std::to_string(c.expected.late.size()) + " late records";
    EXPECT_NE(r.err.find(phrase), std::string::npos) << "expected '" << phrase << "' in " << r.err;
  }
}

// Bad job arguments end the run with one clear line on stderr.
TEST(window_count, bad_arguments_are_refused_clearly) {
  temp_dir dir;
  write_file(dir / "in.csv", "1,a,1\n");
  struct bad_case {
    std::vector<std::string> args;
    std::string phrase;
  };
  auto with_window = [&](const std::string& spec) {
    return std::vector<std::string>{"--input",  dir / "in.csv", "--output",           dir / "out",
                                    "--window", spec,           "--out-of-orderness", "0"};
  };
  std::vector<bad_case> cases = {
      {with_window("hopping:10"), "unknown window kind 'hopping'"},
      {with_window(""), "unknown window kind ''"},
      {with_window("tumbling"), "tumbling takes one number"},
      {with_window("tumbling:10:5"), "tumbling takes one number"},
      {with_window("tumbling:0"), "'0' is not a positive integer"},
      {with_window("tumbling:-5"), "'-5' is not a positive integer"},
      {with_window("tumbling:1e3"), "'1e3' is not a positive integer"},
      {with_window("sliding:10"), "sliding takes two numbers"},
      {with_window("sliding:10:0"), "'0' is not a positive integer"},
      {with_window("session:"), "'' is not a positive integer"},
      {with_window("count:0"), "'0' is not a positive integer"},
      {with_window("count:2:3"), "count takes one number"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--out-of-orderness", "0"},
       "missing --window"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--window", "count:2"},
       "missing --out-of-orderness"},
      {{"--output", dir / "out", "--window", "count:2", "--out-of-orderness", "0"},
       "missing --input"},
      {{"--input", dir / "in.csv", "--window", "count:2", "--out-of-orderness", "0"},
       "missing --output"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--window", "count:2",
        "--out-of-orderness", "-1"},
       "--out-of-orderness must be >= 0"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--window", "count:2",
        "--out-of-orderness", "0", "--lateness", "x"},
       "not an integer"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--window", "count:2",
        "--out-of-orderness", "0", "--lateness", "-3"},
       "--lateness must be >= 0"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--window", "count:2",
        "--out-of-orderness", "0", "--fail-at", "0"},
       "at least 1"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--window", "count:2",
        "--out-of-orderness", "0", "--source-parallelism", "0"},
       "--source-parallelism must be from 1 to 4096, got 0"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--window", "count:2",
        "--out-of-orderness", "0", "--size", "3"},
       "unknown option"},
      {{"--input", dir / "missing.csv", "--output", dir / "out", "--window", "count:2",
        "--out-of-orderness", "0"},
       "missing.csv"},
  };
  for (const auto& c : cases) {
    auto r = run_window_count({}, c.args);
    EXPECT_FALSE(r.timed_out);
    EXPECT_GT(r.exit_code, 0) << c.phrase;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("nagare: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.phrase), std::string::npos)
        << "expected '" << c.phrase << "' in " << r.err;
  }
}

// --fail-at with restarts and checkpoints: the restarted job gives exactly
// the failure-free windows and late records.
TEST(window_count, user_code_failure_and_restart_give_same_output) {
  temp_dir dir;
  window_input_options o;
  o.seed = 17;
  o.lines = 40000;
  o.bound = 1000;
  o.beyond = 0.05;
  o.lateness = 30000;
  o.beyond_range = 100000;
  auto c = prepare(dir, {o});
  ASSERT_EQ(c.expected.invalid, "");
  c.args.insert(c.args.end(), {"--fail-at", "50"});
  auto r = run_window_count({"-p", "2", "--checkpoint-interval", "10", "--restart-strategy",
                             "fixed-delay:10:3", "--log-level", "info"},
                            c.args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("fails at its window result 50"), std::string::npos) << r.err;
  expect_output(c);
}

}  // namespace
}  // namespace nagare::testing
