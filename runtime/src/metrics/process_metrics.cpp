#include "metrics/process_metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace nagare {

namespace {

uint64_t count_fds() {
  uint64_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (auto* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    if (n > 0) --n;  // the directory stream's own descriptor
  }
  return n;
}

// When this process started: its start in clock ticks after boot
// (/proc/self/stat, field 22) plus the boot time (/proc/stat, btime).
double process_start_unix_s() {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(line.substr(close + 2));
  std::string f;
  for (int i = 3; i <= 22 && in >> f; ++i) {
  }
  std::ifstream sys("/proc/stat");
  std::string key;
  double btime = 0;
  while (sys >> key) {
    if (key == "btime") {
      sys >> btime;
      break;
    }
  }
  return btime + std::stod(f.empty() ? "0" : f) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

std::optional<process_usage> read_process_usage() {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // The command name (field 2) may hold spaces: fields are counted after its ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(line.substr(close + 2));
  std::string f[20];
  for (auto& x : f)
    if (!(in >> x)) return std::nullopt;
  // After ')': state(3) ... utime(14) stime(15) ... num_threads(20) ... rss(24).
  process_usage u;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  u.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / tick;
  u.threads = std::stoull(f[17]);
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (statm >> size >> resident)
    u.rss_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  u.open_files = count_fds();
  return u;
}

std::shared_ptr<metric_group> register_process_metrics(metric_registry& registry) {
  auto g = registry.group({}, "process_");
  auto& cpu =
      g->counter("cpu_seconds", "CPU time of the process, user and system, in seconds", 1e-9);
  auto& rss = g->gauge("resident_memory_bytes", "Resident memory of the process in bytes");
  auto& fds = g->gauge("open_fds", "Open file descriptors of the process");
  auto& threads = g->gauge("threads", "Threads of the process");
  auto& start = g->gauge("start_time_seconds", "When the process started, in Unix seconds");
  start.set(process_start_unix_s());
  g->on_refresh([&cpu, &rss, &fds, &threads, counted_ns = uint64_t{0}](double) mutable {
    if (auto u = read_process_usage()) {
      auto ns = static_cast<uint64_t>(u->cpu_seconds * 1e9);
      if (ns > counted_ns) cpu.inc(ns - counted_ns);
      counted_ns = std::max(counted_ns, ns);
      rss.set(static_cast<double>(u->rss_bytes));
      fds.set(static_cast<double>(u->open_files));
      threads.set(static_cast<double>(u->threads));
    }
  });
  return g;
}

}  // namespace nagare
