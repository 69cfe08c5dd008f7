#include "job_waits.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace nagare::testing {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void expect_finished(test_cluster& c, const std::string& id, std::chrono::seconds deadline) {
  auto waited = c.client("wait", {id}, {}, deadline);
  ASSERT_FALSE(waited.timed_out);
  EXPECT_EQ(trimmed(waited.out), "job " + id + " FINISHED") << waited.err;
}

size_t completed_checkpoints(test_cluster& c, const std::string& id) {
  auto listed = c.client("shell", {"-c", "checkpoints " + id});
  size_t n = 0;
  for (size_t at = listed.out.find("COMPLETED"); at != std::string::npos;
       at = listed.out.find("COMPLETED", at + 1))
    ++n;
  return n;
}

bool await_checkpoints(test_cluster& c, const std::string& id, size_t count,
                       std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (completed_checkpoints(c, id) < count) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::vector<std::string> slow_job_options(const std::string& restart_strategy) {
  return {"--parallelism", "2", "--checkpoint-interval", "200",           "--batch-size", "16",
          "--credit",      "1", "--restart-strategy",    restart_strategy};
}

}  // namespace nagare::testing
