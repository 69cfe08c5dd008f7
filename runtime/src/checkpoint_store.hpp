// Durable checkpoints: each task's snapshot of a checkpoint, and the record
// that makes a checkpoint complete. The coordinator keeps one in DATA/checkpoints
// (behind checkpoint_store_actor), each node one in DATA/snapshots for local
// copies of its tasks' snapshots. In LevelDB (checksums verified on every
// read), or in memory when there is no directory (embedded mode, tests).
//
// A checkpoint is complete once complete() has written its record durably;
// its snapshots must have been stored before. Records carry a checksum, so a
// damaged one is reported, never returned; snapshot bytes are stored as given
// (encode_snapshots checksums them itself). Savepoints are complete checkpoints
// the user asked for: retain() and drop_job() never delete them.
//
// Key layout (ordered, so a job's or a checkpoint's data is one range):
//   rec/<job>/<checkpoint>          the record (checksum header + FlatBuffers
//                                   CheckpointRecord, schemas/checkpoint.fbs)
//   snap/<job>/<checkpoint>/<task>  a task's snapshot, as put_snapshot got it
//   save/<job>/<checkpoint>         "" when that checkpoint is a savepoint
// job and checkpoint are 16 lower-case hex digits, task 8.
//
// Thread-safe: any thread may call any operation (the node's store is shared
// by its tasks). retain(), drop_before() and drop_job() read, then delete; a
// write to the same job at the same time may or may not survive them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nagare/status.hpp"

namespace nagare {

// One task of the run that wrote a checkpoint (restore_task in messages.hpp).
struct stored_task {
  uint32_t task = 0;                    // task index in that run
  std::vector<std::string> state_keys;  // task_chain::state_keys() of that task
  bool finished = false;                // it had ended its input by then

  bool operator==(const stored_task& o) const {
    return task == o.task && state_keys == o.state_keys && finished == o.finished;
  }
};

// A complete checkpoint's record (checkpoint_record in messages.hpp).
struct stored_checkpoint {
  uint64_t job_id = 0;
  uint64_t id = 0;
  bool savepoint = false;
  int64_t completed_ms = 0;  // wall clock, milliseconds since the epoch
  uint64_t bytes = 0;        // all snapshots together
  std::vector<stored_task> tasks;

  bool operator==(const stored_checkpoint& o) const {
    return job_id == o.job_id && id == o.id && savepoint == o.savepoint &&
           completed_ms == o.completed_ms && bytes == o.bytes && tasks == o.tasks;
  }
};

// Records as a listing returns them: the readable ones, ascending (job, id),
// and one message for each record that is damaged (left out of `checkpoints`).
struct checkpoint_listing {
  std::vector<stored_checkpoint> checkpoints;
  std::vector<std::string> damaged;
};

// A savepoint's id as users see it: "JOB-CHECKPOINT" in decimal, e.g. "3-17".
struct savepoint_ref {
  uint64_t job_id = 0;
  uint64_t checkpoint = 0;
};
std::string savepoint_id(uint64_t job_id, uint64_t checkpoint);
// invalid_argument, saying what is expected, for anything but two decimal
// numbers (no sign, no leading zeros, no spaces) joined by '-'.
result<savepoint_ref> parse_savepoint_id(const std::string& text);

// The keys of the layout above, for tools and tests that open the LevelDB
// directly (while no checkpoint_store has it open).
std::string checkpoint_record_key(uint64_t job_id, uint64_t checkpoint);
std::string checkpoint_snapshot_key(uint64_t job_id, uint64_t checkpoint, uint32_t task);

class checkpoint_store {
 public:
  // dir empty: in memory. Otherwise the LevelDB in DIR, created if missing
  // (DIR's parent must exist).
  static result<std::unique_ptr<checkpoint_store>> open(const std::string& dir);
  virtual ~checkpoint_store();
  checkpoint_store(const checkpoint_store&) = delete;
  checkpoint_store& operator=(const checkpoint_store&) = delete;

  // Stores (or replaces) a task's snapshot. sync: on disk when this returns
  // (the coordinator's store); without it, a machine crash may lose it (a
  // node's local copies). The memory store ignores sync.
  status put_snapshot(uint64_t job, uint64_t checkpoint, uint32_t task, const std::string& bytes,
                      bool sync);
  // not_found if that task has no snapshot of that checkpoint.
  result<std::string> snapshot(uint64_t job, uint64_t checkpoint, uint32_t task) const;

  // Writes the record durably: from now on the checkpoint is complete (and a
  // savepoint if record.savepoint). invalid_argument, and nothing written, if
  // a task of the record has no snapshot stored.
  status complete(const stored_checkpoint& record);
  // not_found if the checkpoint is not complete; io_error if its record is damaged.
  result<stored_checkpoint> record(uint64_t job, uint64_t checkpoint) const;
  // Every complete checkpoint of the job, savepoints included, ascending id.
  result<checkpoint_listing> completed(uint64_t job) const;
  // Every savepoint of every job.
  result<checkpoint_listing> savepoints() const;
  // The savepoint with that id (see parse_savepoint_id): invalid_argument for
  // a malformed id, not_found if there is no such savepoint.
  result<stored_checkpoint> savepoint(const std::string& id) const;

  // Keeps the newest n (>= 1) complete checkpoints of the job that are not
  // savepoints. Deletes the older ones, and every other checkpoint (without a
  // readable record) older than the newest complete one. Savepoints stay.
  status retain(uint64_t job, uint32_t n);
  // Deletes every checkpoint of the job older than `checkpoint`, complete or
  // not, except savepoints (a node dropping local copies it no longer needs).
  status drop_before(uint64_t job, uint64_t checkpoint);
  // Deletes everything of the job except its savepoints (an ended job).
  status drop_job(uint64_t job);
  // The highest checkpoint id of the job with anything stored (a snapshot or
  // a record); 0 if none. New checkpoints of the job must be numbered above it.
  result<uint64_t> highest_id(uint64_t job) const;

 protected:
  checkpoint_store() = default;

  // The backend: an ordered map from byte strings to byte strings.
  struct write_op {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete the key
  };
  // Called for each key in a range, ascending; returns false to stop.
  // key and value stay valid during the call only.
  using visitor = std::function<bool(std::string_view key, std::string_view value)>;

 private:
  // Applies every op or none.
  virtual status write(const std::vector<write_op>& ops, bool sync) = 0;
  // not_found if the key is absent.
  virtual result<std::string> get(const std::string& key) const = 0;
  // Every key that starts with prefix.
  virtual status scan(const std::string& prefix, const visitor& fn) const = 0;
  // The greatest key that starts with prefix; nullopt if none.
  virtual result<std::optional<std::string>> last_key(const std::string& prefix) const = 0;

  // The checkpoint ids of a job under a prefix ("snap/", "rec/" or "save/").
  result<std::vector<uint64_t>> checkpoint_ids(const std::string& kind, uint64_t job) const;
  // Decodes every record of the job into out (damaged ones as messages);
  // an error if the records cannot all be read.
  status scan_records(uint64_t job, checkpoint_listing& out) const;
  // Deletes every checkpoint of the job (stored snapshots or record) for
  // which doomed(id) is true, except savepoints.
  status drop_if(uint64_t job, const std::function<bool(uint64_t)>& doomed);
  // Deletes every key of these checkpoints of the job.
  status erase(uint64_t job, const std::vector<uint64_t>& checkpoints);
};

}  // namespace nagare
