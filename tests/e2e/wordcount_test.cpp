// WordCount end to end: `nagare run libwordcount.so` over generated text,
// compared with counts computed here by an independent tokenizer.
#include <gtest/gtest.h>

#include <map>

#include "process.hpp"
#include "wordcount_reference.hpp"

namespace nagare::testing {
namespace {

class wordcount : public ::testing::TestWithParam<int> {};

// The union of the output files equals the independent count, at parallelism 1 and 4.
TEST_P(wordcount, matches_independent_count) {
  temp_dir dir;
  std::map<std::string, uint64_t> expected;
  std::vector<std::string> args = {
      nagare_bin(), "run",    job_library("wordcount"), "--parallelism", std::to_string(GetParam()),
      "--",         "--input"};
  // Three files of different sizes; the largest spans several 1 MiB read buffers.
  const size_t sizes[] = {60000, 3000, 1};
  for (uint32_t i = 0; i < 3; ++i) {
    auto text = generate_text(i + 1, sizes[i]);
    count_words(text, expected);
    write_file(dir / ("in" + std::to_string(i) + ".txt"), text);
    args.push_back(dir / ("in" + std::to_string(i) + ".txt"));
  }
  args.insert(args.end(), {"--output", dir / "out"});
  auto r = run_process(args);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = parse_counts(read_result_lines(dir / "out"));
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

INSTANTIATE_TEST_SUITE_P(parallelism, wordcount, ::testing::Values(1, 4));

// An empty input file is a valid input: the job finishes with no words.
TEST(wordcount_edge, empty_input_gives_empty_result) {
  temp_dir dir;
  write_file(dir / "empty.txt", "");
  auto r = run_process({nagare_bin(), "run", job_library("wordcount"), "-p", "2", "--", "--input",
                        dir / "empty.txt", "--output", dir / "out"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_result_lines(dir / "out").empty());
}

}  // namespace
}  // namespace nagare::testing
