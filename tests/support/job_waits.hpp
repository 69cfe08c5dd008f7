// Waiting for a job on a test cluster: its end, its checkpoints.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

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

}  // namespace nagare::testing
