// Windows under failures, with real processes: window_count runs on a
// two-node cluster with checkpoints every 200 ms while a node is killed with
// SIGKILL in the middle of the run. Its windows and late records must equal
// the failure-free output, as the independent reference computes it; the
// same holds for a day-long window over four million keys whose state lives
// in LevelDB, where the nodes' memory must also stay far below the state size.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "cluster.hpp"
#include "job_waits.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"
#include "window_input.hpp"
#include "window_reference.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

// splitmix64's finalizer: a well-mixed 64-bit hash of x.
uint64_t mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::vector<std::string> slow_options() { return slow_job_options("fixed-delay:100:5"); }

struct recovery_case {
  const char* name;
  window_spec spec;
  int64_t lateness;
  uint32_t files;  // one file when records go beyond the bound
  double beyond;
};

void PrintTo(const recovery_case& r, std::ostream* os) { *os << r.name; }

// kill -9 of a node in the middle of a windowed run: the job restarts on the
// node left from its latest complete checkpoint and writes exactly the
// failure-free windows and late records.
class window_node_kill : public ::testing::TestWithParam<recovery_case> {};

TEST_P(window_node_kill, output_equals_failure_free_run) {
  const auto& param = GetParam();
  test_cluster c(2, 2);
  std::vector<std::string> texts, paths;
  for (uint32_t i = 0; i < param.files; ++i) {
    window_input_options o;
    o.seed = 300 + i;
    o.lines = param.files == 1 ? 150000 : 40000;
    o.spec = param.spec;
    o.lateness = param.lateness;
    o.bound = 1000;
    o.behind = 0.3;
    o.beyond = param.beyond;
    o.beyond_range = 2 * param.lateness + 60000;
    o.malformed = 0.01;
    o.keys = param.spec.type == window_spec::kind::session ? 400 : 50;
    o.timestamp_multiple = 2;  // sessions: no two records exactly the (odd) gap apart
    texts.push_back(generate_window_input(o));
    paths.push_back(c.dir() / ("in" + std::to_string(i) + ".csv"));
    write_file(paths.back(), texts.back());
  }
  auto expected = expected_windows(texts, param.spec, 1000, param.lateness);
  ASSERT_EQ(expected.invalid, "");
  if (param.beyond > 0) {
    ASSERT_GT(expected.late.size(), 100u);
  }
  if (param.lateness > 0) {
    ASSERT_GT(expected.refired, 100u);
  }

  auto out = c.dir() / "out";
  std::vector<std::string> args = {"--input"};
  args.insert(args.end(), paths.begin(), paths.end());
  args.insert(args.end(), {"--output", out, "--window", param.spec.text(), "--out-of-orderness",
                           "1000", "--lateness", std::to_string(param.lateness)});
  auto id = c.submit(job_library("window_count"), slow_options(), args);
  ASSERT_TRUE(await_checkpoints(c, id, 2)) << c.coordinator_process().log();
  c.node(1).kill9();
  auto before = read_window_output(out).results.size();
  expect_finished(c, id);
  std::printf("[ figures  ] killed with %zu of %zu windows written\n", before,
              expected.results.size());
  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("restarting (attempt 1) from checkpoint "), std::string::npos) << log;

  auto got = read_window_output(out);
  auto diff = multiset_difference(expected.results, got.results);
  EXPECT_TRUE(diff.empty()) << "windows: " << diff;
  auto late = multiset_difference(expected.late, got.late);
  EXPECT_TRUE(late.empty()) << "late records: " << late;
}

INSTANTIATE_TEST_SUITE_P(
    windows, window_node_kill,
    ::testing::Values(recovery_case{"tumbling", window_spec::tumbling(10000), 0, 4, 0.0},
                      recovery_case{"tumbling_late", window_spec::tumbling(10000), 0, 1, 0.05},
                      recovery_case{"session_lateness", window_spec::session(997), 60000, 1, 0.05}),
    [](const auto& info) { return std::string(info.param.name); });

// --- A day-long window over millions of keys in LevelDB --------------------

// The input: every key once, in key order, then every fourth key again; the
// keys alternate between two files. Timestamps rise by at most 40 ms a
// record (a little out of order, within the bound) from 1 s into the day and
// stay within it, so every window stays open until the end of the input: the
// state holds every key.
struct day_input {
  static constexpr int64_t day = 86'400'000;
  static constexpr int64_t day_start = 19675 * day;  // 2023-11-14 00:00 UTC
  static constexpr int64_t bound = 1000;
  uint64_t keys = 0;

  // Key i: about 100 characters, unique by its number, varied by a hash.
  static std::string key(uint64_t i) {
    char head[32];
    std::snprintf(head, sizeof head, "user-%08llu-", static_cast<unsigned long long>(i));
    std::string k = head;
    uint64_t h = i;
    while (k.size() < 100) {
      h = mix(h + 0x9e3779b97f4a7c15ULL);
      char part[17];
      std::snprintf(part, sizeof part, "%016llx", static_cast<unsigned long long>(h));
      k += part;
    }
    k.resize(100);
    return k;
  }
  static int64_t value(uint64_t i, int pass) {
    return static_cast<int64_t>((i * 7919 + static_cast<uint64_t>(pass) * 104729) % 2001) - 1000;
  }
  uint64_t records() const { return keys + (keys + 3) / 4; }

  // Writes the two files; returns their paths.
  std::vector<std::string> write(const temp_dir& dir) const {
    std::vector<std::string> paths = {dir / "day0.csv", dir / "day1.csv"};
    std::ofstream f0(paths[0]), f1(paths[1]);
    uint64_t j = 0;  // record number, for its timestamp
    // Every record inside the day, a second from either end, at most 40 ms apart.
    const int64_t step = std::min<int64_t>(40, (day - 2000) / static_cast<int64_t>(records()));
    auto put = [&](uint64_t i, int pass) {
      int64_t ts =
          day_start + 1000 + static_cast<int64_t>(j) * step - static_cast<int64_t>(j % 5) * 100;
      ++j;
      (i % 2 == 0 ? f0 : f1) << ts << ',' << key(i) << ',' << value(i, pass) << '\n';
    };
    for (uint64_t i = 0; i < keys; ++i) put(i, 0);
    for (uint64_t i = 0; i < keys; i += 4) put(i, 1);
    return paths;
  }

  // The job's output, computed directly: key i's one window holds its
  // records of both passes.
  std::string expected_line(uint64_t i) const {
    int64_t count = i % 4 == 0 ? 2 : 1;
    int64_t sum = value(i, 0) + (count == 2 ? value(i, 1) : 0);
    return key(i) + "," + std::to_string(day_start) + "," + std::to_string(day_start + day) + "," +
           std::to_string(count) + "," + std::to_string(sum);
  }

  // Logical size of the keyed state at its peak: per key its name, its
  // window (start, end), its count and sum, and its end-of-window timer.
  uint64_t state_bytes() const { return keys * (100 + 16 + 16 + 8); }
};

// A multiset of lines as an order-independent digest (count, sum and xor of
// a 64-bit hash), so that a million lines need not be held in memory.
struct line_digest {
  uint64_t count = 0, sum = 0, xored = 0;
  void add(const std::string& line) {
    uint64_t h = mix(fnv1a64(line));
    ++count;
    sum += h;
    xored ^= h;
  }
  bool operator==(const line_digest& o) const {
    return count == o.count && sum == o.sum && xored == o.xored;
  }
  static uint64_t fnv1a64(const std::string& s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ULL;
    return h;
  }
};

// The largest resident set (VmRSS) of each watched process, sampled every
// 20 ms on a thread of its own until destroyed.
class rss_sampler {
 public:
  explicit rss_sampler(std::vector<pid_t> pids) : pids_(std::move(pids)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        for (pid_t pid : pids_) {
          auto kb = rss_kb(pid);
          std::lock_guard<std::mutex> lock(mutex_);
          max_kb_[pid] = std::max(max_kb_[pid], kb);
        }
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  ~rss_sampler() {
    stop_ = true;
    thread_.join();
  }
  std::map<pid_t, uint64_t> max_kb() {
    std::lock_guard<std::mutex> lock(mutex_);
    return max_kb_;
  }

 private:
  static uint64_t rss_kb(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(f, line);)
      if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    return 0;  // exited (or a zombie)
  }

  std::vector<pid_t> pids_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<pid_t, uint64_t> max_kb_;
  std::thread thread_;
};

// A 24-hour tumbling window over four million keys of 100 characters (560 MB
// of logical state) with the LevelDB backend, a cache of 8,192 keys per task
// and 1,024 key groups (a snapshot is written and read a key group at a time:
// about 550 KB here). A node is killed with SIGKILL in the middle of the run,
// once a checkpoint holds several seconds of state. Nothing is lost: every
// key's window is written once with all its records. And memory stays
// bounded: each node's peak resident memory, its tasks' state stores, caches,
// snapshots and restores included, stays below half of the state (state
// lives in LevelDB; snapshots are written and restored a frame at a time, see
// runtime/src/snapshot_stream.hpp).
TEST(window_leveldb, day_window_over_four_million_keys_survives_kill) {
  test_cluster c(2, 2);
  day_input in;
  in.keys = 4'000'000;
  auto paths = in.write(c.dir());
  auto out = c.dir() / "out";
  std::vector<std::string> args = {"--input"};
  args.insert(args.end(), paths.begin(), paths.end());
  args.insert(args.end(), {"--output", out, "--window", "tumbling:86400000", "--out-of-orderness",
                           std::to_string(day_input::bound)});
  auto started = std::chrono::steady_clock::now();
  rss_sampler rss({c.node(0).pid(), c.node(1).pid()});
  auto id = c.submit(job_library("window_count"),
                     {"--parallelism", "2", "--checkpoint-interval", "200", "--state-backend",
                      "leveldb", "--state-cache-keys", "8192", "--max-parallelism", "1024",
                      "--restart-strategy", "fixed-delay:100:5"},
                     args);
  // Deadlines far beyond the run's time: this test is about what is lost and
  // how much memory it takes, not about speed. The kill comes after a
  // checkpoint completed at least 10 s into the run, so that the restore
  // reads a large state.
  ASSERT_TRUE(await_checkpoints(c, id, 1, 300s)) << c.coordinator_process().log();
  std::this_thread::sleep_until(started + 10s);
  ASSERT_TRUE(await_checkpoints(c, id, completed_checkpoints(c, id) + 1, 300s))
      << c.coordinator_process().log();
  auto killed_at = std::chrono::steady_clock::now();
  c.node(1).kill9();
  expect_finished(c, id, 900s);
  auto finished_at = std::chrono::steady_clock::now();
  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("restarting (attempt 1) from checkpoint "), std::string::npos) << log;
  auto max_kb = rss.max_kb();
  auto checkpoints = c.client("shell", {"-c", "checkpoints " + id});

  line_digest expected, got;
  for (uint64_t i = 0; i < in.keys; ++i) expected.add(in.expected_line(i));
  std::vector<std::string> sample_got;
  for (const auto& e : std::filesystem::directory_iterator(out)) {
    auto name = e.path().filename().string();
    if (name[0] == '.' || name[0] == '_' || !e.is_regular_file()) continue;
    std::ifstream f(e.path());
    for (std::string line; std::getline(f, line);) {
      if (sample_got.size() < 3) sample_got.push_back(line);
      got.add(line);
    }
  }
  EXPECT_EQ(got.count, in.keys) << "windows written";
  EXPECT_TRUE(got == expected) << "the windows differ from the expected ones; first lines: "
                               << (sample_got.empty() ? "" : sample_got[0]) << " expected e.g. "
                               << in.expected_line(0);
  EXPECT_TRUE(read_window_output(out).late.empty());

  using seconds = std::chrono::duration<double>;
  auto state_mb = static_cast<double>(in.state_bytes()) / 1e6;
  std::printf(
      "[ figures  ] %llu keys, %llu records, logical state %.0f MB; kill after %.1f s, "
      "finished %.1f s after the kill\n",
      static_cast<unsigned long long>(in.keys), static_cast<unsigned long long>(in.records()),
      state_mb, seconds(killed_at - started).count(), seconds(finished_at - killed_at).count());
  for (auto [pid, kb] : max_kb) {
    std::printf("[ figures  ] node pid %d: max VmRSS %.1f MB\n", static_cast<int>(pid),
                static_cast<double>(kb) / 1e3);
    EXPECT_LT(kb * 1000, in.state_bytes() / 2)
        << "node pid " << pid << " held " << kb / 1000 << " MB at its peak, for a state of "
        << state_mb << " MB";
  }
  std::printf("[ figures  ] checkpoints:\n%s", checkpoints.out.c_str());
}

}  // namespace
}  // namespace nagare::testing
