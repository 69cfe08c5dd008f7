// A job's checkpoints: when the next one starts (periodically, on request,
// or the final one when every input has ended), the requests that wait for
// one in flight, the waiters of a checkpoint or savepoint, the
// acknowledgements of the one in flight, storing its record, the history the
// shell shows, and the complete checkpoints a restart can use. It sends
// nothing itself: what it decides goes to its job_port (the job master),
// so that it runs, and is tested, without an actor system.
//
// The protocol, as the job master runs it:
//   1. tick() (periodic) or request() -> the port's trigger(id): the master
//      sends (trigger_atom, id) to every source task and every task that has
//      ended its input, and calls fail(id, ...) after timeout(); the others
//      take the checkpoint when its barrier has reached them on all inputs.
//   2. Each task stores its snapshot in the checkpoint store, then sends
//      (ack_atom, task, id, checkpoint_ack) -> acknowledge(); the ack says
//      which earlier checkpoints its snapshot needs (incremental chains), and
//      the record keeps that per task. A task that cannot sends
//      (decline_atom, task, id, status) -> fail().
//   3. The last acknowledgement -> the port's store(record): the master
//      stores it with (complete_atom, record, retained) and answers stored().
//      Once durable the checkpoint is complete: the port's complete(id, last)
//      sends (complete_atom, id, last) to every task (sinks commit), and its
//      waiters hear of it.
//   4. A checkpoint that takes longer than the timeout, or meets a failure
//      or restart, fails. At most one is in flight; requests wait for it in
//      order; the next periodic one starts no sooner than min_pause after the
//      last one ended.
//
// Owned and called by one job master (one actor): not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "messages.hpp"

namespace nagare {

// What the checkpoint coordinator asks of its job master.
class job_port {
 public:
  virtual ~job_port() = default;
  // Whether the job's tasks are running (not deploying or restarting, not
  // ended): checkpoints start only then.
  virtual bool running() const = 0;
  // Whether every task has ended its input: the next checkpoint is the last.
  virtual bool input_ended() const = 0;
  // Checkpoint `id` began: trigger it at the tasks, and fail it after the timeout.
  virtual void trigger(uint64_t id) = 0;
  // Every task acknowledged: make `record` durable, then call stored().
  virtual void store(const checkpoint_record& record, uint32_t retained) = 0;
  // Checkpoint `id` is complete: tell every task (`last`: the job's last one).
  virtual void complete(uint64_t id, bool last) = 0;
};

class checkpoint_coordinator {
 public:
  using clock = std::chrono::steady_clock;
  // Answers a request for a checkpoint: ok and its info once complete, or why not.
  using waiter = std::function<void(const status&, const checkpoint_info&)>;

  struct task_description {
    std::string chain;
    uint32_t subtask = 0;
  };

  // REQUIRES: `port` outlives the coordinator.
  checkpoint_coordinator(uint64_t job_id, const job_submission& job,
                         std::vector<task_description> tasks, job_port& port);

  // Checkpoint ids continue after `id` (a restored job, a resumed coordinator).
  void continue_after(uint64_t id);
  // Complete checkpoints found in the store (a resumed coordinator), ascending.
  void add_completed(std::vector<checkpoint_record> records);

  bool periodic() const { return interval_.count() > 0; }
  std::chrono::milliseconds interval() const { return interval_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  uint32_t retained() const { return retained_; }
  // Whether a periodic checkpoint should start now.
  bool due(clock::time_point now) const;

  bool in_flight() const { return pending_.has_value(); }
  uint64_t pending_id() const { return pending_ ? pending_->info.id : 0; }
  bool pending_is_savepoint() const {
    return pending_ && pending_->info.kind == checkpoint_kind::savepoint;
  }
  bool pending_is_final() const { return pending_ && pending_->final; }

  // --- Orchestration (calls the port).
  // The periodic timer: starts a checkpoint if one is due, the job runs, no
  // request waits and some input has not ended.
  void tick(clock::time_point now);
  // A checkpoint (or savepoint; `stop`: the job stops once it is complete)
  // on request: now, or after the one in flight and earlier requests.
  // `deliver` hears of it once it completed or failed.
  void request(bool savepoint, bool stop, waiter deliver);
  // Starts the next queued request or, when every input has ended, the final
  // checkpoint; nothing while one is in flight, the job does not run or its
  // last checkpoint is complete (its tasks are closing).
  void next();
  // Task `task` acknowledged checkpoint `id`; the last missing one has the
  // record stored (the port's store()).
  void acknowledge(uint32_t task, uint64_t id, const checkpoint_ack& ack, clock::time_point now);
  // The port's store() is done: ok, the checkpoint is complete; otherwise it failed.
  void stored(uint64_t id, const checkpoint_record& record, const status& outcome,
              clock::time_point now);
  // Checkpoint `id` failed (no-op unless it is the one in flight): its
  // waiters hear why (the history keeps why.message()), and the next request starts.
  void fail(uint64_t id, const status& why, clock::time_point now);
  // The job ended as `state`: the checkpoint in flight fails, and every
  // waiter and queued request hears `why`.
  void abandon(job_state state, const status& why, clock::time_point now);
  // Drops every waiter and queued request unanswered (their actor is gone).
  void forget_requests() {
    waiters_.clear();
    queued_.clear();
  }
  // How a job whose tasks all finished ended: FINISHED after its final
  // checkpoint, STOPPED after a savepoint that stops it.
  job_state ending() const { return ending_; }

  // --- Book-keeping (no calls of the port).
  // Starts the next checkpoint and returns its id. `final`: the job's input
  // has ended everywhere; completing it finishes the job.
  // REQUIRES: !in_flight().
  uint64_t begin(bool savepoint, bool final, clock::time_point now);
  // What the store keeps of the pending checkpoint. REQUIRES: all acknowledged.
  checkpoint_record record(int64_t wall_ms) const;

  // The newest complete checkpoint not known to be damaged; nullopt if none.
  std::optional<checkpoint_record> latest() const;
  // A restore from `id` found damage: restarts use older ones.
  void mark_damaged(uint64_t id);
  // ... namely task `task`'s snapshot of checkpoint `link` (`id`'s own, or a
  // link of its incremental chain): every complete checkpoint that is `link`
  // or whose snapshot of that task needs it is damaged too.
  void mark_damaged(uint64_t id, uint64_t link, uint32_t task);

  // Oldest first; the last `history_size` checkpoints.
  std::vector<checkpoint_info> history() const;
  // The newest completed checkpoint or savepoint in the history (null: none).
  const checkpoint_info* last_completed() const;

 private:
  struct pending_checkpoint {
    checkpoint_info info;
    clock::time_point started;
    std::vector<checkpoint_ack> acks;
    std::vector<bool> acked;
    size_t missing = 0;
    bool final = false;
  };
  // A request waiting for the checkpoint in flight to end.
  struct queued_request {
    bool savepoint = false;
    bool stop = false;
    waiter deliver;
  };
  // A request whose checkpoint is in flight.
  struct waiting {
    uint64_t id = 0;
    waiter deliver;
  };
  // begin() and the port's trigger().
  void start(bool savepoint, bool stop, bool final, clock::time_point now);
  void completed(uint64_t id, const checkpoint_record& record, clock::time_point now);
  // Ends the pending checkpoint `id` as failed; false if it is not pending.
  bool end_failed(uint64_t id, const std::string& reason, clock::time_point now);
  void archive(checkpoint_info info);
  std::string log_name() const;

  uint64_t job_id_;
  job_port& port_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds min_pause_;
  uint32_t retained_;
  std::vector<task_description> tasks_;
  uint64_t last_id_ = 0;
  std::optional<pending_checkpoint> pending_;
  clock::time_point last_ended_;  // when the last checkpoint completed or failed
  std::deque<checkpoint_info> history_;
  std::vector<checkpoint_record> completed_;  // ascending id, newest `retained_` + savepoints
  std::vector<uint64_t> damaged_;
  std::deque<queued_request> queued_;
  std::vector<waiting> waiters_;
  bool stopping_ = false;  // the savepoint in flight stops the job
  bool closing_ = false;   // the job's last checkpoint is complete: no other starts
  job_state ending_ = job_state::finished;
  static constexpr size_t history_size = 50;
};

}  // namespace nagare
