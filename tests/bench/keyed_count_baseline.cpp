// The practical limit for the keyed-count benchmark: a hand-written,
// single-threaded loop that counts the same keys as jobs/keyed_count.
//
//   keyed_count_baseline --records N --keys K --seed S --output DIR
//
// Record i has the key nagare::bench::key(seed, i, keys), exactly as in the
// job. The counts go into DIR/part-00000 as "key<TAB>count" lines, the format
// of the job's file sink, so scripts/bench can compare both outputs. The time
// of the counting phase alone is printed on standard error; scripts/bench
// measures the whole process, as it does for the engine.
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <unordered_map>

#include <sys/stat.h>

#include "bench_key.hpp"

namespace {

struct options {
  uint64_t records = 10'000'000;
  uint64_t keys = 100'000;
  uint64_t seed = 1;
  std::string output;
};

int usage(const char* message) {
  std::fprintf(stderr,
               "keyed_count_baseline: %s\n"
               "usage: keyed_count_baseline [--records N] [--keys K] [--seed S] --output DIR\n",
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
    } else if (arg == "--output") {
      opts.output = value;
    } else {
      return usage(("unknown option " + arg).c_str());
    }
    if (!ok) return usage(("bad value for " + arg + ": " + value).c_str());
  }
  if (opts.output.empty()) return usage("missing --output DIR");
  if (mkdir(opts.output.c_str(), 0755) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "keyed_count_baseline: cannot create %s: %s\n", opts.output.c_str(),
                 std::strerror(errno));
    return 1;
  }

  // The counting phase: what the engine's generator, key_by and count do.
  auto wall_start = std::chrono::steady_clock::now();
  double cpu_start = cpu_seconds();
  std::unordered_map<uint64_t, uint64_t> counts;
  counts.reserve(opts.keys < opts.records ? opts.keys : opts.records);
  for (uint64_t i = 0; i < opts.records; ++i) ++counts[nagare::bench::key(opts.seed, i, opts.keys)];
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  double cpu = cpu_seconds() - cpu_start;

  // The output: the same "key<TAB>count" lines as the job's file sink.
  std::string path = opts.output + "/part-00000";
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "keyed_count_baseline: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  for (const auto& [key, count] : counts)
    std::fprintf(out, "%" PRIu64 "\t%" PRIu64 "\n", key, count);
  if (std::fclose(out) != 0) {
    std::fprintf(stderr, "keyed_count_baseline: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return 1;
  }

  std::fprintf(stderr,
               "keyed_count_baseline: counted %" PRIu64 " records into %zu keys in %.3f s "
               "(%.0f records/s, %.3f CPU-s)\n",
               opts.records, counts.size(), wall, wall > 0 ? opts.records / wall : 0.0, cpu);
  return 0;
}
