// Embedded mode: a coordinator and nodes in one actor system, running one
// job to its end. The actors and messages are exactly those of a cluster;
// only the transport is in-process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "job_library.hpp"
#include "messages.hpp"
#include "nagare/status.hpp"

namespace nagare {

struct run_options {
  uint32_t parallelism = 1;
  uint32_t max_parallelism = 128;
  uint32_t nodes = 1;    // node actors; the slots are spread over them
  uint32_t threads = 0;  // scheduler threads; 0: one per core
  uint32_t batch_records = 1024;
  uint32_t channel_credit = 4;
  uint32_t linger_ms = 20;
};

// Builds, validates and plans the job on this side (errors come back before
// any actor starts), then runs it and returns how it ended.
result<job_outcome> run_embedded(const job_definition& job, const std::vector<std::string>& args,
                                 const run_options& opts);

// The submission for `job`: its plan built and its sources and sinks validated.
result<job_submission> prepare_submission(const job_definition& job,
                                          const std::vector<std::string>& args,
                                          const run_options& opts);

}  // namespace nagare
