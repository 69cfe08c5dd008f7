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
#include "submission.hpp"

namespace nagare {

struct run_options {
  job_options job;
  uint32_t nodes = 1;    // node actors; the slots are spread over them
  uint32_t threads = 0;  // scheduler threads; 0: one per core
};

// Builds, validates and plans the job on this side (errors come back before
// any actor starts), then runs it and returns how it ended.
result<job_outcome> run_embedded(const job_definition& job, const std::vector<std::string>& args,
                                 const run_options& opts);

}  // namespace nagare
