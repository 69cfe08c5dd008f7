// The resources of this process, as Prometheus's process collector names
// them (process_cpu_seconds_total, process_resident_memory_bytes,
// process_open_fds, process_threads, process_start_time_seconds), read from
// /proc/self on every refresh.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "metrics/metric_registry.hpp"

namespace nagare {

struct process_usage {
  double cpu_seconds = 0;  // user + system
  uint64_t rss_bytes = 0;
  uint64_t open_files = 0;
  uint64_t threads = 0;
};

// This process's usage now; nullopt where /proc cannot be read.
std::optional<process_usage> read_process_usage();

// Registers the process group in `registry` (kept by the registry's owner
// through the returned pointer).
std::shared_ptr<metric_group> register_process_metrics(metric_registry& registry);

}  // namespace nagare
