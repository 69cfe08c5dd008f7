// The fuzz targets (tests/fuzz/) on every file of their seed corpus and of
// their regressions: each regression is an input that once crashed a decoder
// or broke an invariant, so this suite guards every fix without the fuzz
// build; the corpus keeps the targets' invariants true of real encoded values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace nagare {
namespace {

namespace fs = std::filesystem;

struct fuzz_target {
  const char* name;
  int (*run)(const uint8_t*, size_t);
};
void PrintTo(const fuzz_target& t, std::ostream* os) { *os << t.name; }

const fuzz_target targets[] = {
    {"batch", fuzz::fuzz_batch},
    {"record_codec", fuzz::fuzz_record_codec},
    {"plan", fuzz::fuzz_plan},
    {"snapshot_stream", fuzz::fuzz_snapshot_stream},
    {"operator_snapshot", fuzz::fuzz_operator_snapshot},
    {"restore_assembly", fuzz::fuzz_restore_assembly},
    {"checkpoint_record", fuzz::fuzz_checkpoint_record},
    {"job_record", fuzz::fuzz_job_record},
    {"job_args", fuzz::fuzz_job_args},
    {"lines", fuzz::fuzz_lines},
    {"json", fuzz::fuzz_json},
};

struct broken_invariant : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_failure(const std::string& message) { throw broken_invariant(message); }

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Runs target `t` on every file under tests/fuzz/<kind>/<t.name>; returns how many.
size_t replay(const fuzz_target& t, const std::string& kind) {
  fuzz::set_failure_handler(throw_failure);
  size_t n = 0;
  for (const auto& path : files_in(fs::path(NAGARE_FUZZ_DIR) / kind / t.name)) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    } catch (const broken_invariant& e) {
      ADD_FAILURE() << path << ": " << e.what();
    }
    ++n;
  }
  fuzz::set_failure_handler(nullptr);
  return n;
}

class fuzz_replay : public ::testing::TestWithParam<fuzz_target> {};

// Every seed of the corpus keeps the target's invariants (and there are seeds).
TEST_P(fuzz_replay, corpus) { EXPECT_GT(replay(GetParam(), "corpus"), 0u); }

// Every input that once broke the target stays fixed.
TEST_P(fuzz_replay, regressions) { replay(GetParam(), "regressions"); }

INSTANTIATE_TEST_SUITE_P(targets, fuzz_replay, ::testing::ValuesIn(targets),
                         [](const ::testing::TestParamInfo<fuzz_target>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace nagare
