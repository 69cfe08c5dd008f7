// The practical limit for the sliding-window benchmark: a hand-written,
// single-threaded loop that counts the same windows as jobs/window_bench.
//
//   sliding_window_baseline --records N --keys K --seed S --rate R --size MS --slide MS
//                           --output DIR
//
// Record i has the key nagare::bench::key(seed, i, keys) and the event time
// nagare::bench::event_time(i, rate), exactly as in the job; timestamps never
// decrease, so a window is complete once the time passes its end. The loop
// counts per key and pane (the gcd of size and slide): each record
// increments one counter, and when the time crosses the end of a window, the
// window's count per key is the sum of its panes. The windows go into
// DIR/part-00000 as "key<TAB>start<TAB>end<TAB>count" lines (windows with
// records only), the format of the job's sink, so scripts/bench can compare
// both outputs. The time of the counting phase alone is printed on standard
// error; scripts/bench measures the whole process, as it does for the engine.
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/stat.h>

#include "bench_event.hpp"
#include "bench_key.hpp"

namespace {

struct options {
  uint64_t records = 10'000'000;
  uint64_t keys = 10'000;
  uint64_t seed = 1;
  uint64_t rate = 100'000;
  uint64_t size = 10'000;
  uint64_t slide = 2'000;
  std::string output;
};

int usage(const char* message) {
  std::fprintf(stderr,
               "sliding_window_baseline: %s\n"
               "usage: sliding_window_baseline [--records N] [--keys K] [--seed S] [--rate R]\n"
               "       [--size MS] [--slide MS] --output DIR\n",
               message);
  return 2;
}

bool parse_u64(const char* text, uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return false;
  out = v;
  return true;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Pane counters per key in a ring of `panes` slots; windows are written out
// as the time passes their ends.
class sliding_counter {
 public:
  sliding_counter(int64_t size, int64_t slide, std::FILE* out)
      : size_(size), slide_(slide), pane_(std::gcd(size, slide)), panes_(size / pane_), out_(out) {}

  void add(uint64_t key, int64_t ts) {
    int64_t p = floor_div(ts, pane_);
    if (!started_) {
      current_ = p;
      started_ = true;
    }
    while (current_ < p) next_pane();
    auto [it, added] = slot_.try_emplace(key, keys_.size());
    if (added) {
      keys_.push_back(key);
      counts_.resize(counts_.size() + static_cast<size_t>(panes_), 0);
    }
    ++counts_[it->second * static_cast<size_t>(panes_) + static_cast<size_t>(ring(p))];
  }

  // End of input: every window still holding records is written.
  void finish() {
    if (!started_) return;
    for (int64_t i = 0; i < panes_; ++i) next_pane();
  }

  uint64_t windows() const { return windows_; }

 private:
  int64_t ring(int64_t p) const {
    int64_t r = p % panes_;
    return r < 0 ? r + panes_ : r;
  }

  // The time passes the end of pane current_: the window ending there (if
  // one does: its start is a multiple of the slide) is complete; then the
  // slot of the oldest pane is cleared for pane current_ + 1.
  void next_pane() {
    const int64_t end = (current_ + 1) * pane_;
    if ((end - size_) % slide_ == 0) {
      for (size_t k = 0; k < keys_.size(); ++k) {
        const uint64_t* c = &counts_[k * static_cast<size_t>(panes_)];
        uint64_t n = 0;
        for (int64_t i = 0; i < panes_; ++i) n += c[i];
        if (n == 0) continue;
        std::fprintf(out_, "%" PRIu64 "\t%" PRId64 "\t%" PRId64 "\t%" PRIu64 "\n", keys_[k],
                     end - size_, end, n);
        ++windows_;
      }
    }
    ++current_;
    const auto r = static_cast<size_t>(ring(current_));
    for (size_t k = 0; k < keys_.size(); ++k) counts_[k * static_cast<size_t>(panes_) + r] = 0;
  }

  int64_t size_, slide_, pane_, panes_;
  std::FILE* out_;
  bool started_ = false;
  int64_t current_ = 0;  // the pane of the latest timestamp
  std::unordered_map<uint64_t, size_t> slot_;
  std::vector<uint64_t> keys_;
  std::vector<uint64_t> counts_;  // slot * panes + ring(pane)
  uint64_t windows_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage(("missing value for " + arg).c_str());
    const char* value = argv[++i];
    bool ok = true;
    if (arg == "--records") {
      ok = parse_u64(value, opts.records);
    } else if (arg == "--keys") {
      ok = parse_u64(value, opts.keys) && opts.keys > 0;
    } else if (arg == "--seed") {
      ok = parse_u64(value, opts.seed);
    } else if (arg == "--rate") {
      ok = parse_u64(value, opts.rate) && opts.rate > 0;
    } else if (arg == "--size") {
      ok = parse_u64(value, opts.size) && opts.size > 0;
    } else if (arg == "--slide") {
      ok = parse_u64(value, opts.slide) && opts.slide > 0;
    } else if (arg == "--output") {
      opts.output = value;
    } else {
      return usage(("unknown option " + arg).c_str());
    }
    if (!ok) return usage(("bad value for " + arg + ": " + value).c_str());
  }
  if (opts.output.empty()) return usage("missing --output DIR");
  if (mkdir(opts.output.c_str(), 0755) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "sliding_window_baseline: cannot create %s: %s\n", opts.output.c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::string path = opts.output + "/part-00000";
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "sliding_window_baseline: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return 1;
  }

  // The windowing phase: what the engine's generator, key_by, window and sink do.
  auto wall_start = std::chrono::steady_clock::now();
  double cpu_start = cpu_seconds();
  sliding_counter windows(static_cast<int64_t>(opts.size), static_cast<int64_t>(opts.slide), out);
  for (uint64_t i = 0; i < opts.records; ++i)
    windows.add(nagare::bench::key(opts.seed, i, opts.keys),
                nagare::bench::event_time(i, opts.rate));
  windows.finish();
  if (std::fclose(out) != 0) {
    std::fprintf(stderr, "sliding_window_baseline: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  double cpu = cpu_seconds() - cpu_start;
  std::fprintf(stderr,
               "sliding_window_baseline: %" PRIu64 " records into %" PRIu64
               " windows in %.3f s (%.0f records/s, %.3f CPU-s)\n",
               opts.records, windows.windows(), wall, wall > 0 ? opts.records / wall : 0.0, cpu);
  return 0;
}
