// Waiting for a job on a test cluster: its end, its checkpoints.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "cluster.hpp"

namespace nagare::testing {

// `s` without trailing newlines and spaces.
std::string trimmed(std::string s);

// Waits for the job's end (`nagare wait`) and expects it FINISHED.
void expect_finished(test_cluster& c, const std::string& id,
                     std::chrono::seconds deadline = std::chrono::seconds(120));

// The number of the job's completed checkpoints, as the admin shell lists them.
size_t completed_checkpoints(test_cluster& c, const std::string& id);

// Waits until `count` checkpoints of the job have completed; false on timeout.
bool await_checkpoints(test_cluster& c, const std::string& id, size_t count,
                       std::chrono::seconds deadline = std::chrono::seconds(60));

// Submit options that keep a test job running for seconds, so that a fault
// lands in its middle: parallelism 2, checkpoints every 200 ms, batches of 16
// records, one credit per channel, and `restart_strategy`.
std::vector<std::string> slow_job_options(const std::string& restart_strategy);

}  // namespace nagare::testing
