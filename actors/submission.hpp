// Client side of submitting a job: load and run its main, plan it, validate
// its sources and sinks, and pack plan and library bytes into a submission.
// `nagare run` and `nagare submit` both go through here, so a job is refused
// with the same message before anything starts, wherever it is headed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "job_library.hpp"
#include "messages.hpp"

namespace nagare {

struct job_options {
  std::string name;  // empty: the name the job library declares
  uint32_t parallelism = 1;
  uint32_t max_parallelism = 128;
  uint32_t batch_records = 1024;
  uint32_t channel_credit = 4;
  uint32_t linger_ms = 20;
  // Checkpoints and recovery; the meaning and defaults of job_submission's fields
  // (messages.hpp). The command line validates them (runtime/cli/common.hpp).
  uint32_t checkpoint_interval_ms = 0;  // 0: no periodic checkpoints
  uint32_t checkpoint_timeout_ms = 60000;
  uint32_t min_pause_ms = 0;
  uint32_t retained_checkpoints = 3;
  bool at_least_once = false;
  // Refuse the job unless every sink is exactly-once (runtime/src/sink_delivery.hpp).
  bool require_exactly_once = false;
  std::string restart_strategy;  // restart_policy.hpp; empty: its default
  std::string from_savepoint;    // "JOB-CHECKPOINT"; empty: start from the beginning
  std::string state_backend;     // "memory" (or empty) or "leveldb"
  uint32_t state_cache_keys = 65536;
};

result<job_submission> prepare_submission(const job_definition& job,
                                          const std::vector<std::string>& args,
                                          const job_options& opts);

// Reads a whole file (a job library's bytes).
result<std::string> read_file(const std::string& path);

}  // namespace nagare
