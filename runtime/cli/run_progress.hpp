// `nagare run`'s progress: what the job is doing while it runs, on stderr.
// On a terminal one line rewritten every second; otherwise a plain line
// every `interval` (10 s by default), for logs:
//
//   wordcount RUNNING 1m 02s | in 1.21 M/s | out 1.21 M/s | watermark lag 1.2 s |
//   checkpoint 7 1.4 s ago (35 ms) | restarts 0
//
// "in" is what the sources produce, "out" what the sinks (vertices with no
// output) take in, both per second over the last sampling interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "embedded.hpp"
#include "web/job_history.hpp"

namespace nagare::cli {

// One progress line from the job's latest rates, checkpoints and restarts.
// `now_unix_s` dates the checkpoint's age.
std::string progress_line(const job_info& job, const job_graph& graph, const job_sample* rates,
                          const checkpoint_info* last_checkpoint, size_t restarts,
                          double now_unix_s);

class run_progress final : public run_observer {
 public:
  // Writes to `out`; rewrites one line when `terminal`, else a line per
  // `interval`.
  run_progress(std::FILE* out, bool terminal,
               std::chrono::milliseconds interval = std::chrono::seconds(10));
  ~run_progress() override;

  void started(caf::actor_system& sys, caf::actor coordinator) override;
  void stopped() override;

 private:
  void report(caf::actor_system& sys, const caf::actor& coordinator);

  std::FILE* out_;
  bool terminal_;
  std::chrono::milliseconds interval_;
  std::unique_ptr<web::job_history> history_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  size_t last_width_ = 0;  // of the line on the terminal, to clear it
};

}  // namespace nagare::cli
