// RunningSum end to end: `nagare run librunning_sum.so` over generated
// "key,value" files, compared line for line (as multisets) with the sums the
// independent reference computes.
#include <gtest/gtest.h>

#include <filesystem>

#include "dead_letter_reference.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"

namespace nagare::testing {
namespace {

struct job_input {
  std::vector<std::string> texts;
  std::vector<std::string> paths;
  std::vector<std::string> expected;
  std::vector<std::string> dead_letters;  // the dead-letter output's lines
  uint64_t malformed = 0;
};

// Three files of different sizes, the largest spanning several read buffers.
job_input write_inputs(const temp_dir& dir, uint64_t seed) {
  job_input in;
  std::vector<std::string> texts;
  const size_t sizes[] = {40000, 2500, 1};
  for (uint32_t i = 0; i < 3; ++i) {
    texts.push_back(generate_running_sum_input(seed, i, sizes[i]));
    in.paths.push_back(dir / ("in" + std::to_string(i) + ".csv"));
    write_file(in.paths.back(), texts.back());
  }
  in.expected = expected_running_sums(texts, &in.malformed);
  in.dead_letters = expected_dead_letters(in.paths, texts, running_sum_rejection);
  in.texts = std::move(texts);
  return in;
}

process_result run_running_sum(const std::vector<std::string>& options,
                               const std::vector<std::string>& job_args) {
  std::vector<std::string> argv = {nagare_bin(), "run", job_library("running_sum")};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), job_args.begin(), job_args.end());
  return run_process(argv);
}

class running_sum : public ::testing::TestWithParam<int> {};

// Every well-formed record gives exactly its key's running total, at
// parallelism 1 and 3; every malformed line is in DIR/_dead-letter once, with
// its file, offset and reason, and each source subtask reports its count of
// them on stderr.
TEST_P(running_sum, matches_reference_sums) {
  temp_dir dir;
  auto in = write_inputs(dir, 7);
  ASSERT_GT(in.malformed, 0u);
  ASSERT_EQ(in.dead_letters.size(), in.malformed);  // the two references agree
  std::vector<std::string> args = {"--input"};
  args.insert(args.end(), in.paths.begin(), in.paths.end());
  args.insert(args.end(), {"--output", dir / "out"});
  auto r = run_running_sum({"-p", std::to_string(GetParam())}, args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto diff = multiset_difference(in.expected, read_result_lines(dir / "out"));
  EXPECT_TRUE(diff.empty()) << diff;
  auto dead = multiset_difference(in.dead_letters, read_result_lines(dir / "out/_dead-letter"));
  EXPECT_TRUE(dead.empty()) << "dead letters: " << dead;
  auto p = static_cast<uint32_t>(GetParam());
  auto counts = dead_letter_count_difference(
      r.err, "lines", dead_letters_per_subtask(in.texts, running_sum_rejection, p));
  EXPECT_TRUE(counts.empty()) << counts;
}

INSTANTIATE_TEST_SUITE_P(parallelism, running_sum, ::testing::Values(1, 3));

// A failure of user code in the first attempt (--fail-at), with periodic
// checkpoints and restarts: the restarted job recovers from the latest
// checkpoint (or the beginning) and the output still holds every sum once,
// and the dead-letter output every malformed line once.
TEST(running_sum_recovery, failure_and_restart_write_every_sum_once) {
  temp_dir dir;
  auto in = write_inputs(dir, 11);
  std::vector<std::string> args = {"--input"};
  args.insert(args.end(), in.paths.begin(), in.paths.end());
  args.insert(args.end(), {"--output", dir / "out", "--fail-at", "9000"});
  auto r = run_running_sum({"-p", "3", "--checkpoint-interval", "10", "--restart-strategy",
                            "fixed-delay:10:3", "--log-level", "info"},
                           args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("fails at its record 9000"), std::string::npos) << "no failure:\n" << r.err;
  auto diff = multiset_difference(in.expected, read_result_lines(dir / "out"));
  EXPECT_TRUE(diff.empty()) << diff;
  auto dead = multiset_difference(in.dead_letters, read_result_lines(dir / "out/_dead-letter"));
  EXPECT_TRUE(dead.empty()) << "dead letters: " << dead;
}

// Bad job arguments end the run with one clear line on stderr.
TEST(running_sum_args, bad_arguments_are_refused_clearly) {
  temp_dir dir;
  write_file(dir / "in.csv", "a,1\n");
  struct bad_case {
    std::vector<std::string> args;
    std::string phrase;
  };
  const bad_case cases[] = {
      {{"--output", dir / "out"}, "missing --input"},
      {{"--input", dir / "in.csv"}, "missing --output"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--fail-at", "x"}, "not an integer"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--fail-at", "0"}, "at least 1"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--speed", "9"}, "unknown option"},
      {{"--input", dir / "in.csv", "--output", dir / "out", "--dead-letter", dir / "out"},
       "--dead-letter must differ"},
      {{"--input", dir / "missing.csv", "--output", dir / "out"}, "missing.csv"},
  };
  for (const auto& c : cases) {
    auto r = run_running_sum({}, c.args);
    EXPECT_FALSE(r.timed_out);
    EXPECT_GT(r.exit_code, 0) << c.phrase;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("nagare: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.phrase), std::string::npos)
        << "expected '" << c.phrase << "' in " << r.err;
  }
}

// --dead-letter DIR2 puts the dead letters there (exactly, as in DIR/_dead-letter
// otherwise) and nothing into DIR/_dead-letter.
TEST(running_sum_args, dead_letter_directory_is_chosen) {
  temp_dir dir;
  auto in = write_inputs(dir, 5);
  std::vector<std::string> args = {"--input"};
  args.insert(args.end(), in.paths.begin(), in.paths.end());
  args.insert(args.end(), {"--output", dir / "out", "--dead-letter", dir / "rejected"});
  auto r = run_running_sum({"-p", "2"}, args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto diff = multiset_difference(in.expected, read_result_lines(dir / "out"));
  EXPECT_TRUE(diff.empty()) << diff;
  auto dead = multiset_difference(in.dead_letters, read_result_lines(dir / "rejected"));
  EXPECT_TRUE(dead.empty()) << "dead letters: " << dead;
  EXPECT_FALSE(std::filesystem::exists(dir / "out/_dead-letter"));
}

// --fail-at without a restart strategy: the first attempt's failure fails the
// job with the user code's message.
TEST(running_sum_args, fail_at_without_restarts_fails_the_job) {
  temp_dir dir;
  auto in = write_inputs(dir, 3);
  std::vector<std::string> args = {"--input"};
  args.insert(args.end(), in.paths.begin(), in.paths.end());
  args.insert(args.end(), {"--output", dir / "out", "--fail-at", "100"});
  auto r = run_running_sum({"-p", "2"}, args);
  ASSERT_FALSE(r.timed_out);
  EXPECT_GT(r.exit_code, 0);
  EXPECT_NE(r.err.find("--fail-at 100"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nagare::testing
