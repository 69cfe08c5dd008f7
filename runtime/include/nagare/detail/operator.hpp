// The contract between operator code (templates instantiated in the job
// library) and the task that runs it (the runtime). Records cross it as typed
// objects through input_port<T>; everything the runtime itself touches is
// type-erased: operator_instance, source_instance, batch_reader,
// exchange_writer.
//
// Threading: one task actor owns a chain of operator instances and calls all
// of their functions from its own (CAF-scheduled) thread, one at a time.
//
// Call order of an operator instance:
//   open -> restore -> (push | push_batch | poll | on_watermark+ | on_processing_time |
//                       checkpoint)*
//        -> on_watermark(max_timestamp)+ -> finish -> checkpoint* -> close
// where checkpoint is  prepare_checkpoint(id) -> snapshot -> [checkpoint_complete(id')]*.
// The runtime calls restore() exactly once, before the first record, also
// when the job starts from the beginning (with no snapshots); prepare_checkpoint()
// and snapshot() come between records (at a checkpoint barrier), never from
// inside push(), push_batch() or poll(). checkpoint_complete() may come at
// any point between records, for the current or an earlier checkpoint, once
// that checkpoint is durable everywhere; it can be missed (a later one
// covers it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nagare/detail/batch.hpp"
#include "nagare/detail/snapshot_fwd.hpp"
#include "nagare/owned.hpp"
#include "nagare/split.hpp"
#include "nagare/status.hpp"
#include "nagare/time.hpp"

namespace nagare {

class metric_group;  // nagare/metrics.hpp

namespace detail {
class keyed_backend_factory;
class async_waker;
}  // namespace detail

// Where keyed state lives (detail/keyed_backend.hpp): `memory` keeps it on the
// heap; `leveldb` keeps it in a LevelDB store under `directory` with at most
// `cache_keys` keys on the heap, and writes incremental checkpoints.
enum class state_backend : uint8_t { memory = 0, leveldb = 1 };
struct state_backend_options {
  state_backend backend = state_backend::memory;
  std::string directory;        // leveldb: the task's own state directory
  uint32_t cache_keys = 65536;  // leveldb: keys cached on the heap
  // A backend of one's own (tests, backends outside libnagare): when set, it
  // makes every keyed operator's backend and the fields above are ignored.
  // Not owned; outlives the tasks that use it.
  const detail::keyed_backend_factory* factory = nullptr;
};

// Where an operator instance runs: handed to open().
struct subtask_info {
  std::string task_name;  // "<chain name> (subtask+1/parallelism)"
  uint32_t subtask = 0;
  uint32_t parallelism = 1;
  uint32_t max_parallelism = 128;
  uint32_t batch_records = 1024;  // records per batch between tasks
  // The checkpoint this run was restored from (0: it started from the
  // beginning), and which attempt of the job this is (0: the first). Checkpoint
  // ids grow monotonically over a job's attempts and over jobs restored from
  // its savepoints.
  uint64_t restored_checkpoint = 0;
  uint32_t attempt = 0;
  // restored_checkpoint is one this job took (a restart, at the same
  // parallelism): each task restored its own snapshots of it, and an
  // incremental snapshot may extend them. false: it started afresh or from a
  // savepoint of another job.
  bool restored_own = false;
  state_backend_options state = {};  // the job's state backend, for this task
  // The job as submitted: its name (stable across attempts and savepoints,
  // so external transactions can be named by it) and its id in the cluster.
  std::string job_name;
  uint64_t job_id = 0;
  // Wakes the task from other threads (nagare/async.hpp); null when nothing
  // drives the chain but direct calls (then async_step() comes by ticks).
  std::shared_ptr<detail::async_waker> waker;
  // This operator's metrics (nagare/metrics.hpp), labelled with the job,
  // task, subtask and operator: what it registers in open() is exported
  // until the subtask ends. Set by the runtime for each operator it opens;
  // null only for operators driven by hand (tests).
  std::shared_ptr<metric_group> metrics;
};

namespace detail {

// Receives records, one at a time or a batch at a time. Both may move from
// the records they are given; the caller owns them and only destroys or
// overwrites them afterwards.
//
// push_batch(records, n) means exactly push() of records[0], ..., records[n-1]
// in that order (n may be 0), and the default does just that. Operators
// override it where seeing the batch whole pays: one virtual call per batch
// instead of per record, and keyed operators look up their keys' state in
// phases so that the cache misses of a batch overlap (detail/keyed_batch.hpp).
// The runtime never delivers a watermark, processing time, timer or
// checkpoint inside a batch: those come between calls, as between records.
template <class T>
class input_port {
 public:
  virtual ~input_port() = default;
  virtual void push(T& record) = 0;
  virtual void push_batch(T* records, size_t n) {
    for (size_t i = 0; i < n; ++i) push(records[i]);
  }
};

class operator_instance {
 public:
  virtual ~operator_instance() = default;
  // input_port<In>* of this operator (nullptr for sources), type-erased.
  virtual void* input() { return nullptr; }
  // Connects the output to the successor's input_port<Out>* (type-erased).
  virtual void connect(void* next) { (void)next; }
  virtual status open(const subtask_info& info) {
    (void)info;
    return {};
  }
  // All input has been seen: push whatever is still pending downstream.
  // Called head to tail along the chain.
  virtual void finish() {}
  virtual status close() { return {}; }
  // The event time of this operator's input advanced to watermark `wm`.
  // Operators with event-time timers fire those due and push what they emit
  // downstream, at most `max_timers` of them per call, and return false
  // when they stopped at that limit: the runtime then calls again with the same
  // `wm` (once the task's outputs have room, so that one watermark that makes
  // a million windows due never holds all their results in memory), and
  // nothing else reaches the operator in between but checkpoint_complete().
  // Once it returns true the runtime hands the watermark to the next
  // operator of the chain, so records emitted here precede the watermark.
  // `wm` is strictly greater than in any earlier step; max_timestamp means
  // the input has ended (it comes before finish()).
  virtual bool on_watermark(int64_t wm, size_t max_timers) {
    (void)wm;
    (void)max_timers;
    return true;
  }
  // Processing time is now `now` (milliseconds since the epoch, never
  // decreasing). The runtime calls it before each input batch or source poll,
  // and every few milliseconds while wants_processing_time() is true, so
  // processing-time timers fire with that much delay at most.
  virtual void on_processing_time(int64_t now) { (void)now; }
  virtual bool wants_processing_time() const { return false; }

  // Asynchronous work (detail/async_operator.hpp): requests this operator
  // started that complete on other threads. While input_blocked() the task
  // gives the chain no record (it stops reading input and polling) and no
  // watermark step goes on; async_step(now) takes what completed, emits
  // results downstream, times out and retries requests. The task calls it
  // when the operator's waker (subtask_info::waker) wakes it and every few
  // milliseconds while async_pending().
  virtual bool input_blocked() const { return false; }
  virtual bool async_pending() const { return false; }
  virtual void async_step(int64_t now) { (void)now; }

  // Keys held in keyed state (for the admin shell).
  virtual uint64_t state_entries() const { return 0; }
  // Bytes of that state, as its backend measures them (keyed_backend::state_bytes).
  virtual uint64_t state_bytes() const { return 0; }
  // Records this operator sent to its late output since the job started (as
  // far as its state was restored): the job's closing line reports them.
  virtual uint64_t late_records() const { return 0; }

  // A barrier of checkpoint `id` reached this operator: every record before
  // it has been pushed, none after it. Two-phase-commit sinks seal what they
  // wrote since the previous barrier as the transaction of `id` here (its
  // description then goes into snapshot()). An error fails the task.
  virtual status prepare_checkpoint(uint64_t id) {
    (void)id;
    return {};
  }
  // Checkpoint `id` is complete: every task's snapshot of it is durable.
  // Sinks make the transactions of `id` and of earlier checkpoints visible.
  virtual status checkpoint_complete(uint64_t id) {
    (void)id;
    return {};
  }

  // Writes this instance's state into `out` (empty on entry) without changing
  // the instance: keyed state per key group, operator state as entries. An
  // operator without state writes nothing. It may write a delta instead of
  // its whole state (out.extends, detail/snapshot.hpp): the changes since its
  // own snapshot of the newest checkpoint reported complete to it
  // (checkpoint_complete), or of a later checkpoint it took. The runtime keeps
  // the snapshots such deltas extend, and fails the task for a delta over one
  // it does not keep (an earlier checkpoint, or one before a restore that was
  // not this very task's). It sets out.checkpoint itself.
  virtual void snapshot(operator_snapshot& out) const { (void)out; }

  // Takes this instance's share of the state of an earlier run. `previous`
  // holds the snapshots of every subtask of this operator in that run, in
  // subtask order, whatever its parallelism was; it is empty when the job
  // starts from the beginning (info.restored_checkpoint == 0) or that run kept
  // no state for this operator: the instance then starts afresh (a sink
  // discards what earlier attempts left uncommitted). `info` is where this
  // instance runs now (as given to open()).
  // Each earlier subtask's snapshot comes as its whole chain, oldest first: a
  // complete snapshot (extends == 0), then each delta over the one before it
  // (extends == the previous one's checkpoint); an operator that never writes
  // deltas sees one complete snapshot per earlier subtask. Every snapshot has
  // `checkpoint` set to the checkpoint it was taken at. Of keyed state, only
  // the key groups this instance owns now are included (the runtime leaves
  // the others out); operator state entries are all there.
  // REQUIRES: open() succeeded, no record has been pushed or polled yet.
  // An error (malformed or mismatched state) fails the task; the instance must
  // not be used further. The default accepts only empty snapshots, so that
  // state is never dropped silently. (libnagare)
  virtual status restore(const std::vector<operator_snapshot>& previous, const subtask_info& info);
};

// The head of a source chain: produces records when polled.
class source_instance : public operator_instance {
 public:
  // Pushes at most `max_records` records downstream, adds their number to
  // `emitted`, and sets `end` when exhausted.
  virtual status poll(size_t max_records, uint64_t& emitted, bool& end) = 0;
  // The source subtask's watermark after the last poll (min_timestamp until
  // known; never decreases), and whether it is idle (every split idle: it
  // holds back no watermark downstream). See nagare/watermark.hpp.
  virtual int64_t current_watermark() const { return min_timestamp; }
  virtual bool idle() const { return false; }
  // Input records this subtask could not turn into records so far (dead
  // letters, nagare/dead_letter.hpp), restored counts included.
  virtual uint64_t dead_letters() const { return 0; }
  // The split contract (nagare/split.hpp): splits the job master assigned
  // to this subtask, and whether none will follow. Called between polls.
  virtual void add_splits(std::vector<source_split> splits, bool no_more) {
    (void)splits;
    (void)no_more;
  }
};

// Receives full batches from an exchange writer: the task's output channels.
class batch_emitter {
 public:
  virtual ~batch_emitter() = default;
  // `channel` is the task's output channel index; `batch` is non-empty.
  virtual void emit(uint32_t channel, owned<record_batch> batch) = 0;
};

// The tail of a chain whose output leaves the task: routes records into one
// batch per output channel.
class exchange_writer : public operator_instance {
 public:
  // Emits every partially filled batch.
  virtual void flush() = 0;
  void finish() override { flush(); }
};

enum class partition : uint8_t { forward = 0, rebalance = 1, keyed = 2 };

// Where the records a writer routes go.
struct writer_config {
  partition kind = partition::forward;  // as the planner resolved it
  batch_emitter* emitter = nullptr;
  uint32_t first_channel = 0;  // task output channel of downstream subtask 0
  uint32_t channels = 1;       // downstream parallelism (1 for forward)
  uint32_t max_parallelism = 128;
  uint32_t batch_records = 1024;
  uint32_t subtask = 0;  // this task's subtask, to stagger round-robin
};

// The head of a chain whose input arrives in batches: unpacks them.
class batch_reader {
 public:
  virtual ~batch_reader() = default;
  virtual void connect(void* next) = 0;
  // Pushes every record of `batch` downstream; returns how many.
  virtual size_t process(record_batch& batch) = 0;
  // Rebuilds a batch that arrived as encoded bytes.
  virtual result<owned<record_batch>> decode(const char* data, size_t size,
                                             uint32_t count) const = 0;
};

}  // namespace detail
}  // namespace nagare
