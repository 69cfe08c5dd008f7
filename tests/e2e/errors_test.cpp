// Bad input to `nagare run` gets one clear line on stderr and a non-zero
// exit: never a crash, a hang or a stack of messages.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <nagare/api.hpp>

#include "process.hpp"

namespace nagare::testing {
namespace {

void expect_clear_error(const process_result& r, const std::string& phrase) {
  EXPECT_FALSE(r.timed_out) << "hung";
  EXPECT_EQ(r.signal, 0) << "crashed with signal " << r.signal;
  EXPECT_GT(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.err), 1u) << "stderr:\n" << r.err;
  EXPECT_EQ(r.err.rfind("nagare: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(phrase), std::string::npos) << "expected '" << phrase << "' in: " << r.err;
}

process_result run_wordcount_job(const std::string& library,
                                 const std::vector<std::string>& job_args) {
  std::vector<std::string> argv = {nagare_bin(), "run", library, "--"};
  argv.insert(argv.end(), job_args.begin(), job_args.end());
  return run_process(argv, std::chrono::seconds(60));
}

struct input_fixture : ::testing::Test {
  temp_dir dir;
  std::string input = dir / "in.txt";
  void SetUp() override { write_file(input, "some words\n"); }
};

using run_errors = input_fixture;

// A job file that does not exist.
TEST_F(run_errors, missing_job_file) {
  expect_clear_error(
      run_wordcount_job(dir / "nope.so", {"--input", input, "--output", dir / "out"}),
      "nope.so': No such file or directory");
}

// A file that is not a shared library.
TEST_F(run_errors, not_a_shared_library) {
  write_file(dir / "fake.so", "this is text, not ELF\n");
  expect_clear_error(run_wordcount_job(dir / "fake.so", {}), "is not a loadable shared library");
}

// A directory given as the job.
TEST_F(run_errors, directory_as_job) {
  expect_clear_error(run_wordcount_job(dir.path(), {}), "is not a regular file");
}

// A shared library without the entry point.
TEST_F(run_errors, library_without_entry_point) {
  expect_clear_error(run_wordcount_job(fixture_library("no_entry"), {}),
                     "has no entry point 'nagare_job_entry'");
}

// A library built for another API version is refused before its code runs.
TEST_F(run_errors, wrong_api_version) {
  auto r = run_wordcount_job(fixture_library("wrong_version"), {});
  expect_clear_error(r, "was built for Nagare API version 99, this runtime supports version " +
                            std::to_string(NAGARE_API_VERSION));
  EXPECT_EQ(r.err.find("called a job"), std::string::npos);
}

// --require-exactly-once refuses at-least-once checkpoints before anything
// runs, and accepts wordcount's file sink otherwise.
TEST_F(run_errors, exactly_once_that_cannot_be_honoured) {
  auto run = [&](std::vector<std::string> options, const std::string& out) {
    std::vector<std::string> argv = {nagare_bin(), "run", job_library("wordcount")};
    argv.insert(argv.end(), options.begin(), options.end());
    for (auto a : {"--", "--input", input.c_str(), "--output", out.c_str()}) argv.push_back(a);
    return run_process(argv, std::chrono::seconds(60));
  };
  expect_clear_error(run({"--require-exactly-once", "--at-least-once"}, dir / "refused"),
                     "job wordcount: --require-exactly-once cannot be honoured with "
                     "--at-least-once checkpoints");
  auto ok = run({"--require-exactly-once"}, dir / "out");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(read_result_lines(dir / "out").size(), 2u);  // "some", "words"
}

// A missing input file is named.
TEST_F(run_errors, missing_input_file) {
  expect_clear_error(run_wordcount_job(job_library("wordcount"),
                                       {"--input", dir / "missing.txt", "--output", dir / "out"}),
                     "input file '" + (dir / "missing.txt") + "': No such file or directory");
}

// An output path that is a file cannot be an output directory.
TEST_F(run_errors, output_path_is_a_file) {
  expect_clear_error(
      run_wordcount_job(job_library("wordcount"), {"--input", input, "--output", input}),
      "exists and is not a directory");
}

// An output directory below a file cannot be created.
TEST_F(run_errors, output_directory_cannot_be_created) {
  expect_clear_error(
      run_wordcount_job(job_library("wordcount"), {"--input", input, "--output", input + "/out"}),
      "cannot create output directory");
}

// A read-only output directory (as root, modes are ignored: /proc is read-only for everyone).
TEST_F(run_errors, unwritable_output_directory) {
  expect_clear_error(
      run_wordcount_job(job_library("wordcount"), {"--input", input, "--output", "/proc/self"}),
      "is not writable");
}

// Results of an earlier run are never silently mixed with new ones.
TEST_F(run_errors, output_directory_with_results) {
  ::mkdir((dir / "out").c_str(), 0755);
  write_file(dir / "out/part-00000", "old\t1\n");
  expect_clear_error(
      run_wordcount_job(job_library("wordcount"), {"--input", input, "--output", dir / "out"}),
      "already holds results");
}

// The job's own argument errors are reported with the job's name.
TEST_F(run_errors, missing_job_argument) {
  expect_clear_error(run_wordcount_job(job_library("wordcount"), {"--input", input}),
                     "job wordcount: missing --output");
}

TEST_F(run_errors, unknown_job_option) {
  expect_clear_error(run_wordcount_job(job_library("wordcount"),
                                       {"--input", input, "--output", dir / "o", "--colour"}),
                     "unknown option '--colour'");
}

// Options of nagare itself.
TEST_F(run_errors, bad_parallelism) {
  expect_clear_error(run_process({nagare_bin(), "run", job_library("wordcount"), "--parallelism",
                                  "0", "--", "--input", input, "--output", dir / "out"}),
                     "--parallelism must be between 1 and 128, got 0");
  expect_clear_error(
      run_process({nagare_bin(), "run", job_library("wordcount"), "--parallelism", "-1"}),
      "--parallelism must be between 1 and 128, got -1");
  expect_clear_error(
      run_process({nagare_bin(), "run", job_library("wordcount"), "--parallelism", "many"}),
      "parallelism");
}

TEST(cli_errors, unknown_command_and_missing_job) {
  expect_clear_error(run_process({nagare_bin(), "launch"}), "unknown command 'launch'");
  expect_clear_error(run_process({nagare_bin(), "run"}), "missing JOB.so");
}

// Help is not an error.
TEST(cli_help, run_help_lists_options) {
  auto r = run_process({nagare_bin(), "run", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--parallelism"), std::string::npos);
  EXPECT_NE(r.out.find("--max-parallelism"), std::string::npos);
}

}  // namespace
}  // namespace nagare::testing

namespace nagare::testing {
namespace {

// User code that throws fails the job with the exception's message and the task's name.
TEST(job_failure, exception_in_user_code_fails_the_job) {
  auto r = run_process(
      {nagare_bin(), "run", fixture_library("throwing_job"), "-p", "2", "--", "--fail-at", "5000"},
      std::chrono::seconds(60));
  expect_clear_error(r,
                     "job throwing FAILED: task 'generate -> explode -> filter -> stdout sink "
                     "(1/2)' failed: boom at record 5000");
}

}  // namespace
}  // namespace nagare::testing
