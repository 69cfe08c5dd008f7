// Embedded mode: a coordinator and nodes in one actor system, running one
// job to its end. The actors and messages are exactly those of a cluster;
// only the transport is in-process.
//
// A job with an unbounded source (text_file_source::monitor) never ends by
// itself: it runs until run_control::stop() or cancel() is called (the CLI
// calls them on SIGINT and SIGTERM).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "job_library.hpp"
#include "messages.hpp"
#include "nagare/status.hpp"
#include "submission.hpp"

namespace nagare {

// Watches an embedded job while it runs (`nagare run`'s progress line):
// started once the job is submitted, with the in-process coordinator to
// ask; stopped before the actor system shuts down. Called from the thread
// of run_embedded.
class run_observer {
 public:
  virtual ~run_observer() = default;
  virtual void started(caf::actor_system& sys, caf::actor coordinator) = 0;
  virtual void stopped() = 0;
};

struct run_options {
  job_options job;
  uint32_t nodes = 1;    // node actors; the slots are spread over them
  uint32_t threads = 0;  // scheduler threads; 0: one per core
  // Where checkpoints and savepoints are kept: DIR/checkpoints, the checkpoint
  // store a coordinator daemon keeps under its data directory, and the
  // highest job id in DIR/last-job-id. Empty: in memory, gone at the end.
  std::string state_dir;
  // How run_control::stop() ends the job: stop_mode::checkpoint (a final
  // checkpoint commits the sinks) or stop_mode::savepoint (the same with a
  // savepoint; needs state_dir to outlive the process).
  stop_mode on_stop = stop_mode::checkpoint;
  // Not owned; null: nobody watches.
  run_observer* observer = nullptr;
};

// Asks a running embedded job to end. Thread-safe: any thread may call
// stop() and cancel() at any time (a request made before the job was
// submitted takes effect once it is); never from a signal handler.
class run_control {
 public:
  // Ends the job cleanly: as run_options::on_stop says, then its tasks close.
  void stop();
  // Ends the job at once (CANCELED); uncommitted output stays uncommitted.
  void cancel();

  // run_embedded's side: where requests go while the job runs (null: nowhere).
  void attach(caf::actor runner);
  void detach();

 private:
  std::mutex mutex_;
  caf::actor runner_;
  bool stop_ = false;
  bool cancel_ = false;
};

struct run_outcome {
  job_outcome job;
  std::string savepoint;  // taken by stop() with stop_mode::savepoint; else empty
  status stop_error;      // why stop() could not end the job cleanly (it was then cancelled)
};

// Builds, validates and plans the job on this side (errors come back before
// any actor starts), then runs it and returns how it ended; `control` may
// end it early (it must outlive the call).
result<run_outcome> run_embedded(const job_definition& job, const std::vector<std::string>& args,
                                 const run_options& opts, run_control& control);
// The same, for a job that is only ended by its sources.
result<job_outcome> run_embedded(const job_definition& job, const std::vector<std::string>& args,
                                 const run_options& opts);

}  // namespace nagare
