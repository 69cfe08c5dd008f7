// Damaged files are detected, never crash or mislead (issue 13): a job library
// cut short, a node's cached library overwritten or truncated, and a
// coordinator's metadata table with damaged blocks, each met by the real
// binary as a user meets it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "cluster.hpp"
#include "damage_files.hpp"
#include "job_waits.hpp"
#include "process.hpp"
#include "wordcount_reference.hpp"

namespace nagare::testing {
namespace {

namespace fs = std::filesystem;
std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// One line on stderr, "nagare: error: ..." with every phrase, a non-zero exit
// and no signal.
void expect_one_clear_line(const process_result& r, const std::vector<std::string>& phrases) {
  EXPECT_FALSE(r.timed_out) << "hung";
  EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal;
  EXPECT_GT(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.err), 1u) << "stderr:\n" << r.err;
  EXPECT_EQ(r.err.rfind("nagare: error: ", 0), 0u) << r.err;
  for (const auto& p : phrases)
    EXPECT_NE(r.err.find(p), std::string::npos) << "expected '" << p << "' in: " << r.err;
}

// `nagare run` (and `submit`) on a library cut to 1,000, 50,000 and 200,000
// bytes: one clear line and a non-zero exit, never SIGBUS. 200,000 bytes keep
// every loadable segment of libwordcount.so, so only the section header
// table shows the cut (that size used to run).
TEST(damaged_files, run_on_a_truncated_library_is_one_clear_line) {
  temp_dir dir;
  auto whole = bytes_of(job_library("wordcount"));
  ASSERT_GT(whole.size(), 200000u);
  write_file(dir / "in.txt", "some words\n");
  for (size_t size : {1000, 50000, 200000}) {
    SCOPED_TRACE(std::to_string(size) + " bytes");
    auto cut = dir / ("cut-" + std::to_string(size) + ".so");
    write_file(cut, whole.substr(0, size));
    auto run = run_process({nagare_bin(), "run", cut, "--", "--input", dir / "in.txt", "--output",
                            dir / ("out-" + std::to_string(size))},
                           std::chrono::seconds(60));
    expect_one_clear_line(run, {"'" + cut + "' is not a loadable shared library",
                                "truncated or damaged", "(" + std::to_string(size) + " bytes)"});
    auto submit = run_process({nagare_bin(), "submit", cut, "--coordinator", "127.0.0.1:1"},
                              std::chrono::seconds(60));
    expect_one_clear_line(submit, {"truncated or damaged"});
  }
}

class damaged_cache : public ::testing::Test {
 protected:
  void SetUp() override {
    auto text = generate_text(1301, 3000);
    count_words(text, expected_);
    write_file(input_, text);
  }
  // Runs wordcount into dir/NAME and checks its output against the
  // independent count.
  void run_wordcount(test_cluster& c, const std::string& name) {
    auto out = c.dir() / name;
    auto id = c.submit(job_library("wordcount"), {}, {"--input", input_, "--output", out});
    auto waited = c.client("wait", {id});
    ASSERT_EQ(waited.exit_code, 0) << waited.err << c.node(0).log();
    EXPECT_EQ(trimmed(waited.out), "job " + id + " FINISHED");
    EXPECT_TRUE(parse_counts(read_result_lines(out)) == expected_) << name;
  }
  // The node's one cached library.
  static std::string cached_library(test_cluster& c) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(c.dir() / "node0/libraries"))
      if (e.path().extension() == ".so") files.push_back(e.path().string());
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? std::string() : files[0];
  }
  temp_dir dir_;
  std::string input_ = dir_ / "in.txt";
  std::map<std::string, uint64_t> expected_;
};

// The cached library is overwritten in place between two submissions (its
// code with int3 instructions): the node finds the damage, fetches the
// library again and runs the second job correctly, without restarting.
TEST_F(damaged_cache, overwritten_cached_library_is_fetched_again) {
  test_cluster c(1, 2);
  run_wordcount(c, "out1");
  auto cached = cached_library(c);
  ASSERT_FALSE(cached.empty());
  auto hash = fs::path(cached).stem().string();
  ASSERT_EQ(flip_bytes(cached, every(cached, 61)), (fs::file_size(cached) + 60) / 61);
  run_wordcount(c, "out2");
  EXPECT_TRUE(c.node(0).running());
  auto log = c.node(0).log();
  EXPECT_NE(log.find("cached job library " + hash + " was damaged"), std::string::npos) << log;
  EXPECT_NE(log.find("fetched job library " + hash + " again"), std::string::npos) << log;
  EXPECT_EQ(bytes_of(cached), bytes_of(job_library("wordcount")));
}

// A node restarted over a cache whose library was cut short (what used to
// kill it with SIGBUS on every submission of that library) fetches it again.
TEST_F(damaged_cache, truncated_cached_library_after_a_node_restart) {
  test_cluster c(1, 2);
  run_wordcount(c, "out1");
  auto cached = cached_library(c);
  ASSERT_FALSE(cached.empty());
  c.node(0).kill9();
  fs::resize_file(cached, 50000);
  c.restart_node(0);
  run_wordcount(c, "out2");
  EXPECT_TRUE(c.node(0).running());
  auto log = c.node(0).log();
  auto hash = fs::path(cached).stem().string();
  EXPECT_NE(log.find("cached job library " + hash + " was damaged"), std::string::npos) << log;
  EXPECT_NE(log.find("fetched job library " + hash + " again"), std::string::npos) << log;
  EXPECT_EQ(fs::file_size(cached), bytes_of(job_library("wordcount")).size());
}

// Every block of the coordinator's metadata table is damaged while it is
// stopped. It refuses to start (one line: what is damaged, how to recover);
// with --recover-metadata it starts, rebuilds the job that has a savepoint,
// names the jobs it lost, and the next job gets an id above every old one.
TEST(damaged_files, damaged_metadata_refuses_the_start_then_recovers) {
  test_cluster c(1, 2);
  temp_dir dir;
  write_file(dir / "in.txt", "a b\nb\n");
  auto wordcount = [&](const std::string& out) {
    auto id = c.submit(job_library("wordcount"), {}, {"--input", dir / "in.txt", "--output", out});
    EXPECT_EQ(c.client("wait", {id}).exit_code, 0);
    return id;
  };
  auto first = wordcount(dir / "out1");
  auto long_job = c.submit(job_library("keyed_count"), {},
                           {"--records", "50000000000", "--keys", "1000", "--output", dir / "kc"});
  process_result stopped;
  for (int i = 0; i < 100; ++i) {  // until its tasks run and the savepoint can be taken
    stopped = c.client("stop", {"--savepoint", long_job});
    if (stopped.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  auto at = stopped.out.find("savepoint ");
  ASSERT_NE(at, std::string::npos) << stopped.out;
  auto savepoint = trimmed(stopped.out.substr(at + 10));
  auto last = wordcount(dir / "out3");
  ASSERT_EQ(std::stoull(last), std::stoull(first) + 2);

  c.coordinator_process().kill9();
  auto metadata = c.coordinator_data_dir() + "/metadata";
  for (const auto& table : compact_leveldb(metadata)) flip_bytes(table, every(table, 8));

  auto refused = run_process({nagare_bin(), "coordinator", "--listen", c.coordinator(),
                              "--data-dir", c.coordinator_data_dir()},
                             std::chrono::seconds(30));
  expect_one_clear_line(refused, {"the coordinator's metadata in " + metadata + " is damaged",
                                  "Corruption", ".ldb", "--recover-metadata"});

  c.restart_coordinator({"--recover-metadata"});
  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("moved the damaged metadata to " + metadata + ".damaged-"), std::string::npos)
      << log;
  EXPECT_NE(log.find("rebuilt job " + long_job + " from the checkpoint store (savepoints " +
                     savepoint + ")"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("lost the records of jobs " + first + ", " + last), std::string::npos) << log;
  auto listed = c.client("list", {});
  EXPECT_NE(listed.out.find("(record lost)"), std::string::npos) << listed.out;

  // The node reconnects on its own; then a new job runs under a new id.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (occurrences(c.node(0).log(), "registered as node") < 2) {
    ASSERT_LT(std::chrono::steady_clock::now(), until) << c.node(0).log();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto next = wordcount(dir / "out4");
  EXPECT_GT(std::stoull(next), std::stoull(last));
  EXPECT_EQ(parse_counts(read_result_lines(dir / "out4")),
            (std::map<std::string, uint64_t>{{"a", 1}, {"b", 2}}));
}

}  // namespace
}  // namespace nagare::testing
