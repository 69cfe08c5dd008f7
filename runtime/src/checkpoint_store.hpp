// Durable checkpoints: each task's snapshot of a checkpoint, and the record
// that makes a checkpoint complete. The coordinator keeps one in DATA/checkpoints
// (behind checkpoint_store_actor), each node one in DATA/snapshots for local
// copies of its tasks' snapshots. In LevelDB (checksums verified on every
// read), or in memory when there is no directory (embedded mode, tests).
//
// A checkpoint is complete once complete() has written its record durably;
// its snapshots, and every snapshot they need, must have been stored before.
// Records and indexes carry a checksum, so a damaged one is reported, never
// returned; snapshot bytes are stored as given (encode_snapshots checksums
// them itself). Savepoints are complete checkpoints the user asked for:
// retain(), drop_before() and drop_job() never delete them.
//
// Incremental checkpoints: a task's snapshot may need snapshots of the same
// task at earlier checkpoints (its operators' deltas extend them, see
// detail/snapshot.hpp). It is stored with the list of those checkpoints
// (`needs`, transitive), and nothing deletes a snapshot that a snapshot kept
// still needs: a checkpoint beyond retention loses its record (it is no longer
// listed or restorable) but keeps the snapshots that later ones need.
//
// Large snapshots are stored in chunks of at most snapshot_chunk_bytes (one
// LevelDB value each), and travel to the coordinator's store chunk by chunk.
//
// Key layout (ordered, so a job's or a checkpoint's data is one range):
//   rec/<job>/<checkpoint>                 the record (checksum header + FlatBuffers
//                                          CheckpointRecord, schemas/checkpoint.fbs)
//   idx/<job>/<checkpoint>/<task>          a task's snapshot: chunk count, whether
//                                          every chunk is there, what it needs
//   snap/<job>/<checkpoint>/<task>         its first chunk
//   snap/<job>/<checkpoint>/<task>/<chunk> the others (chunk 1, 2, ...)
//   save/<job>/<checkpoint>                "" when that checkpoint is a savepoint
// job and checkpoint are 16 lower-case hex digits, task and chunk 8. A
// snapshot is stored once its index says every chunk is; listings, retention
// and deletion read the indexes only, never the snapshots' bytes.
//
// Thread-safe: any thread may call any operation (the node's store is shared
// by its tasks). retain(), drop_before() and drop_job() read, then delete; a
// write to the same job at the same time may or may not survive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nagare/status.hpp"

namespace nagare {

// Snapshots above this size are stored, and uploaded, in chunks of this size:
// each chunk is one LevelDB value (which LevelDB copies into its write batch
// and its memtable) and one message to the checkpoint store, so the chunk size
// bounds what storing and sending a large snapshot costs besides its bytes.
constexpr size_t snapshot_chunk_bytes = size_t{1} << 20;

// One task of the run that wrote a checkpoint (restore_task in messages.hpp).
struct stored_task {
  uint32_t task = 0;                    // task index in that run
  std::vector<std::string> state_keys;  // task_chain::state_keys() of that task
  bool finished = false;                // it had ended its input by then
  // The earlier checkpoints whose snapshots of this task its snapshot needs
  // (incremental chains, transitively), ascending; empty when it is complete.
  std::vector<uint64_t> needs;

  bool operator==(const stored_task& o) const {
    return task == o.task && state_keys == o.state_keys && finished == o.finished &&
           needs == o.needs;
  }
};

// A source's split enumerator snapshot in a checkpoint (its state key, and
// split_enumerator::snapshot()).
struct stored_source {
  std::string key;
  std::string snapshot;

  bool operator==(const stored_source& o) const { return key == o.key && snapshot == o.snapshot; }
};

// A complete checkpoint's record (checkpoint_record in messages.hpp).
struct stored_checkpoint {
  uint64_t job_id = 0;
  uint64_t id = 0;
  bool savepoint = false;
  int64_t completed_ms = 0;  // wall clock, milliseconds since the epoch
  uint64_t bytes = 0;        // all snapshots together
  std::vector<stored_task> tasks;
  std::vector<stored_source> sources;  // split enumerators, by source

  bool operator==(const stored_checkpoint& o) const {
    return job_id == o.job_id && id == o.id && savepoint == o.savepoint &&
           completed_ms == o.completed_ms && bytes == o.bytes && tasks == o.tasks &&
           sources == o.sources;
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

  // Stores (or replaces) a task's snapshot, in chunks of `chunk_bytes`.
  // `needs`: the earlier checkpoints whose snapshots of this task it needs
  // (ids below `checkpoint`). sync: on disk when this returns (the
  // coordinator's store); without it, a machine crash may lose it (a node's
  // local copies). The memory store ignores sync.
  status put_snapshot(uint64_t job, uint64_t checkpoint, uint32_t task, std::string_view bytes,
                      bool sync, const std::vector<uint64_t>& needs = {},
                      size_t chunk_bytes = snapshot_chunk_bytes);
  // Stores chunk `chunk` of `chunks` of a snapshot (put_snapshot, one piece
  // at a time: the upload of a large snapshot). Chunks come in order, 0
  // first; the snapshot is stored once the last one is written. Chunk 0
  // replaces any earlier snapshot of that task and checkpoint.
  status put_snapshot_chunk(uint64_t job, uint64_t checkpoint, uint32_t task, uint32_t chunk,
                            uint32_t chunks, std::string_view bytes,
                            const std::vector<uint64_t>& needs, bool sync);
  // not_found if that task has no snapshot of that checkpoint stored (none,
  // or not all of its chunks); io_error if a chunk or its index is damaged or missing.
  result<std::string> snapshot(uint64_t job, uint64_t checkpoint, uint32_t task) const;
  // One chunk of a stored snapshot, and how many it has (errors as snapshot()).
  struct snapshot_piece {
    uint32_t chunks = 0;
    std::string bytes;
  };
  result<snapshot_piece> snapshot_chunk(uint64_t job, uint64_t checkpoint, uint32_t task,
                                        uint32_t chunk) const;
  // What a stored snapshot needs (errors as snapshot()).
  result<std::vector<uint64_t>> snapshot_needs(uint64_t job, uint64_t checkpoint,
                                               uint32_t task) const;

  // Writes the record durably: from now on the checkpoint is complete (and a
  // savepoint if record.savepoint). Each task's `needs` is stored as its
  // snapshot was (the record's own are not used). invalid_argument, and
  // nothing written, if a task of the record has no snapshot stored or its
  // snapshot needs one that is not stored.
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
  // savepoints, every savepoint, and every checkpoint newer than the newest
  // complete one (in flight). Of the others, deletes the records, and every
  // snapshot that no snapshot kept needs.
  status retain(uint64_t job, uint32_t n);
  // Keeps the job's checkpoints from `checkpoint` on and its savepoints; of
  // older ones, deletes the records and every snapshot that no snapshot kept
  // needs (a node dropping local copies it no longer needs).
  status drop_before(uint64_t job, uint64_t checkpoint);
  // Deletes everything of the job except its savepoints and the snapshots
  // they need (an ended job).
  status drop_job(uint64_t job);
  // The highest checkpoint id of the job with anything stored (a snapshot,
  // whole or not, or a record); 0 if none. New checkpoints of the job must be
  // numbered above it.
  result<uint64_t> highest_id(uint64_t job) const;

  // Across jobs (checkpoint_store_jobs.cpp), for a coordinator that must
  // never hand out a job id again and may have lost its job records:
  // The highest job id with anything stored (a snapshot, whole or not, a
  // record or a savepoint); 0 if none.
  result<uint64_t> highest_job_id() const;
  // Every job with a complete checkpoint's record or a savepoint, ascending.
  result<std::vector<uint64_t>> jobs_with_checkpoints() const;

 protected:
  checkpoint_store() = default;

  // The backend: an ordered map from byte strings to byte strings.
  struct write_op {
    std::string key;
    std::optional<std::string_view> value;  // nullopt: delete the key; must outlive write()
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

  // The checkpoint ids of a job under a prefix ("rec/" or "save/").
  result<std::vector<uint64_t>> checkpoint_ids(const std::string& kind, uint64_t job) const;
  // Decodes every record of the job into out (damaged ones as messages);
  // an error if the records cannot all be read.
  status scan_records(uint64_t job, checkpoint_listing& out) const;
  // Deletes, of the job, the record of every checkpoint that is neither
  // kept(id) nor a savepoint, and every snapshot not needed: the snapshots of
  // kept checkpoints and savepoints are needed, and so is whatever a needed
  // snapshot needs.
  status drop_unneeded(uint64_t job, const std::function<bool(uint64_t)>& kept);
};

}  // namespace nagare
