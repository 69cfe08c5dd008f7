// The book-keeping of a job's checkpoints, apart from the messaging (the job
// master sends what it decides): numbering, when the next periodic checkpoint
// is due, the acknowledgements of the one in flight, its record once every
// task has acknowledged, the history the shell shows, and the complete
// checkpoints a restart can use.
//
// The protocol, as the job master runs it:
//   1. due() -> begin(): the master sends (trigger_atom, id) to every source
//      task and every task that has ended its input; the others take the
//      checkpoint when its barrier has reached them on all their inputs.
//   2. Each task stores its snapshot in the checkpoint store, then sends
//      (ack_atom, task, id, checkpoint_ack) -> acknowledge(); the ack says
//      which earlier checkpoints its snapshot needs (incremental chains), and
//      the record keeps that per task. A task that cannot sends
//      (decline_atom, task, id, reason) -> fail().
//   3. When acknowledge() says all are in, the master stores record() with
//      (complete_atom, record, retained); once durable, completed(), and the
//      master sends (complete_atom, id, last) to every task (sinks commit).
//   4. A checkpoint that takes longer than the timeout, or meets a failure or
//      restart, fails. At most one is in flight; the next periodic one starts
//      no sooner than min_pause after the last one ended.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "messages.hpp"

namespace nagare {

class checkpoint_coordinator {
 public:
  using clock = std::chrono::steady_clock;

  struct task_description {
    std::string chain;
    uint32_t subtask = 0;
  };

  checkpoint_coordinator(uint64_t job_id, const job_submission& job,
                         std::vector<task_description> tasks);

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
  bool pending_is_savepoint() const { return pending_ && pending_->info.kind == "SAVEPOINT"; }
  bool pending_is_final() const { return pending_ && pending_->final; }

  // Starts the next checkpoint and returns its id. `final`: the job's input
  // has ended everywhere; completing it finishes the job.
  // REQUIRES: !in_flight().
  uint64_t begin(bool savepoint, bool final, clock::time_point now);
  // True when this acknowledgement was the last one missing.
  bool acknowledge(uint32_t task, uint64_t id, const checkpoint_ack& ack, clock::time_point now);
  // What the store keeps of the pending checkpoint. REQUIRES: all acknowledged.
  checkpoint_record record(int64_t wall_ms) const;
  // The record is durable: the checkpoint is complete.
  void completed(uint64_t id, const checkpoint_record& record, clock::time_point now);
  // The pending checkpoint `id` failed (no-op if it is not the pending one).
  void fail(uint64_t id, const std::string& reason, clock::time_point now);

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

 private:
  struct pending_checkpoint {
    checkpoint_info info;
    clock::time_point started;
    std::vector<checkpoint_ack> acks;
    std::vector<bool> acked;
    size_t missing = 0;
    bool final = false;
  };
  void archive(checkpoint_info info);

  uint64_t job_id_;
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
  static constexpr size_t history_size = 50;
};

}  // namespace nagare
