// The protocol between coordinator, job masters, nodes and tasks. The same
// messages travel inside one process (embedded mode) and over BASP between
// processes. Every type here is registered once at actor-system start (see
// register_message_types); job libraries never register anything.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "checkpoint_store.hpp"
#include "nagare/detail/batch.hpp"
#include "nagare/split.hpp"
#include "nagare/status.hpp"
#include "nagare/time.hpp"
#include "states.hpp"

namespace nagare {

using ok_atom = caf::atom_constant<caf::atom("ok")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using wait_atom = caf::atom_constant<caf::atom("wait")>;
using deploy_atom = caf::atom_constant<caf::atom("deploy")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;
using eos_atom = caf::atom_constant<caf::atom("eos")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;
using nodes_atom = caf::atom_constant<caf::atom("nodes")>;
using jobs_atom = caf::atom_constant<caf::atom("jobs")>;
using actors_atom = caf::atom_constant<caf::atom("actors")>;
using inspect_atom = caf::atom_constant<caf::atom("inspect")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using peers_atom = caf::atom_constant<caf::atom("peers")>;
using node_lost_atom = caf::atom_constant<caf::atom("node_lost")>;
using job_done_atom = caf::atom_constant<caf::atom("job_done")>;
// Checkpoints (see checkpoint_coordinator.hpp for the protocol).
using trigger_atom = caf::atom_constant<caf::atom("trigger")>;  // master -> task
using barrier_atom = caf::atom_constant<caf::atom("barrier")>;  // task -> task, in-band
// Event time: `watermark, channel, wm, idle` task -> task, in-band (built-in
// types only, so it crosses processes with nothing registered); `tick` is a
// task's processing-time timer to itself.
using watermark_atom = caf::atom_constant<caf::atom("watermark")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using graph_atom = caf::atom_constant<caf::atom("graph")>;      // -> coordinator: a job's graph
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;  // task -> itself: publish
// An asynchronous operator's requests completed (task_waker.hpp, to itself).
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;               // task -> master
using decline_atom = caf::atom_constant<caf::atom("decline")>;       // task -> master
using complete_atom = caf::atom_constant<caf::atom("complete")>;     // master -> task
using store_atom = caf::atom_constant<caf::atom("store")>;           // -> checkpoint store
using load_atom = caf::atom_constant<caf::atom("load")>;             // -> checkpoint store
using ended_atom = caf::atom_constant<caf::atom("ended")>;           // task -> master
using reschedule_atom = caf::atom_constant<caf::atom("reschedul")>;  // master -> coordinator
using restart_atom = caf::atom_constant<caf::atom("restart")>;       // master -> itself
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;       // master -> itself
using highest_atom = caf::atom_constant<caf::atom("highest")>;       // -> checkpoint store
using drop_atom = caf::atom_constant<caf::atom("drop")>;             // -> checkpoint store
// Operations on jobs (client and shell -> coordinator -> job master).
using checkpoints_atom = caf::atom_constant<caf::atom("ckpts")>;
using checkpoint_atom = caf::atom_constant<caf::atom("ckpt")>;
using savepoint_atom = caf::atom_constant<caf::atom("savepoint")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using kill_atom = caf::atom_constant<caf::atom("kill")>;
using restarts_atom = caf::atom_constant<caf::atom("restarts")>;
using savepoints_atom = caf::atom_constant<caf::atom("savepoints")>;
// How `stop` ends a job; it travels as its number (a uint8_t).
//   at_once     the tasks are stopped now; output since the last checkpoint is not committed
//   checkpoint  after a final checkpoint, whose completion commits the sinks and closes the tasks
//   savepoint   the same with a savepoint, kept for `--from-savepoint`
enum class stop_mode : uint8_t { at_once = 0, checkpoint = 1, savepoint = 2 };
// Sources: split assignments (master -> source task) and discovery (master -> itself).
using splits_atom = caf::atom_constant<caf::atom("splits")>;
using discover_atom = caf::atom_constant<caf::atom("discover")>;
using progress_atom = caf::atom_constant<caf::atom("progress")>;  // master -> itself, coordinator

// Errors travel as statuses (nagare/status.hpp): a code and a message; ok
// means success. Serialized as the code's number and the message. errc's
// last value is errc::permission_denied: a code appended after it must be named here.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status& x) {
  auto code = static_cast<uint8_t>(x.code());
  auto message = x.message();
  auto load = caf::meta::load_callback([&]() -> caf::error {
    // A code this build does not know (a newer peer) reads as internal.
    auto known = code <= static_cast<uint8_t>(errc::permission_denied);
    x = status(known ? static_cast<errc>(code) : errc::internal, std::move(message));
    return caf::none;
  });
  return f(caf::meta::type_name("nagare.status"), code, message, load);
}

// A CAF error (no reply, a peer gone) as a status whose message is `prefix`
// followed by CAF's text: errc::timeout for a request that timed out,
// errc::unavailable for a receiver that is down or unreachable,
// errc::internal otherwise.
status status_of(const caf::error& e, const std::string& prefix = "");

// Which stored snapshot a restore found damaged or missing (a status of
// errc::corruption): task `task`'s snapshot of checkpoint `checkpoint` (the
// restored checkpoint's own, or a link of its incremental chain).
// checkpoint 0: the failure names no snapshot.
struct damaged_snapshot {
  uint64_t checkpoint = 0;
  uint32_t task = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, damaged_snapshot& x) {
  return f(caf::meta::type_name("nagare.damaged_snapshot"), x.checkpoint, x.task);
}

// What a client submits: everything needed to run the job, but no user code
// is run by the coordinator (the plan was built by the client).
struct job_submission {
  std::string name;
  std::string library_path;  // as the submitter named it (for messages only)
  std::string library_hash;  // content hash: nodes cache libraries under it
  std::string library;       // the library's bytes; dropped once the coordinator stored them
  std::vector<std::string> args;
  std::string plan;  // FlatBuffers JobPlan (plan.hpp)
  uint32_t parallelism = 1;
  uint32_t max_parallelism = 128;
  uint32_t batch_records = 1024;
  uint32_t channel_credit = 4;  // batches in flight per channel
  uint32_t linger_ms = 20;      // partial batches are flushed this often
  // Checkpoints and recovery.
  uint32_t checkpoint_interval_ms = 0;  // 0: no periodic checkpoints
  uint32_t checkpoint_timeout_ms = 60000;
  uint32_t min_pause_ms = 0;          // between the end of one checkpoint and the next
  uint32_t retained_checkpoints = 3;  // complete checkpoints kept (savepoints are kept apart)
  bool at_least_once = false;         // no barrier alignment
  // "none", "fixed-delay:DELAY_MS:ATTEMPTS" or "exponential:INITIAL_MS:MAX_MS:ATTEMPTS";
  // empty: fixed-delay:500:10 with checkpoints, none without.
  std::string restart_strategy;
  std::string from_savepoint;  // savepoint id to restore from ("" : none)
  // Where keyed state lives: "memory" (also "") or "leveldb", with at most
  // state_cache_keys keys per operator instance on the heap (subtask_info::state).
  std::string state_backend;
  uint32_t state_cache_keys = 65536;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_submission& x) {
  return f(caf::meta::type_name("nagare.job_submission"), x.name, x.library_path, x.library_hash,
           x.library, x.args, x.plan, x.parallelism, x.max_parallelism, x.batch_records,
           x.channel_credit, x.linger_ms, x.checkpoint_interval_ms, x.checkpoint_timeout_ms,
           x.min_pause_ms, x.retained_checkpoints, x.at_least_once, x.restart_strategy,
           x.from_savepoint, x.state_backend, x.state_cache_keys);
}

struct task_ref {
  uint32_t vertex = 0;
  uint32_t subtask = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_ref& x) {
  return f(caf::meta::type_name("nagare.task_ref"), x.vertex, x.subtask);
}

// Job master -> task: the peers of every channel, in the task's channel order.
struct task_wiring {
  std::vector<caf::actor> outputs;        // receiver of output channel i
  std::vector<uint32_t> output_channels;  // its input channel index
  std::vector<caf::actor> inputs;         // sender of input channel i
  std::vector<uint32_t> input_channels;   // its output channel index
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_wiring& x) {
  return f(caf::meta::type_name("nagare.task_wiring"), x.outputs, x.output_channels, x.inputs,
           x.input_channels);
}

// Where a task's state comes from when a job (re)starts: the snapshots of
// one checkpoint. Every task gets the same spec and fetches the snapshots of
// the earlier tasks that ran any of its operators (matched by state key), and
// of their incremental chains, the same tasks' snapshots of the earlier
// checkpoints those need (restore_assembly.hpp).
// One task of that run: the checkpoint store's own type (checkpoint_store.hpp).
using restore_task = stored_task;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restore_task& x) {
  return f(caf::meta::type_name("nagare.restore_task"), x.task, x.state_keys, x.finished, x.needs);
}

// A split enumerator's snapshot in a checkpoint record.
using restore_source = stored_source;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restore_source& x) {
  return f(caf::meta::type_name("nagare.restore_source"), x.key, x.snapshot);
}

struct restore_spec {
  uint64_t job_id = 0;      // the job that wrote the checkpoint
  uint64_t checkpoint = 0;  // 0: start from the beginning
  std::vector<restore_task> tasks;
  std::vector<restore_source> sources;  // the split enumerators (job master only)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restore_spec& x) {
  return f(caf::meta::type_name("nagare.restore_spec"), x.job_id, x.checkpoint, x.tasks, x.sources);
}

// Job master -> source task: (splits_atom, vector<source_split>, bool no_more)
// more splits for the task's reader, and whether none will follow. Sent
// before the start message and between checkpoint triggers: per-sender
// ordering makes a checkpoint cover exactly the splits sent before it.
// CAF 0.17 cannot inspect std::optional: the end travels as a flag and bytes.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_split& x) {
  bool has_end = x.end.has_value();
  std::string end = x.end.value_or(std::string{});
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (has_end)
      x.end = std::move(end);
    else
      x.end.reset();
    return caf::none;
  });
  return f(caf::meta::type_name("nagare.source_split"), x.id, x.start, has_end, end, load);
}

// Job master -> node: spawn these tasks of this job, for this attempt, with
// their state from `restore`; they store snapshots with `store`.
struct deploy_request {
  uint64_t job_id = 0;
  job_submission job;
  std::vector<task_ref> tasks;
  caf::actor master;
  caf::actor store;  // the checkpoint store (checkpoint_store_actor.hpp)
  uint32_t attempt = 0;
  restore_spec restore;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deploy_request& x) {
  return f(caf::meta::type_name("nagare.deploy_request"), x.job_id, x.job, x.tasks, x.master,
           x.store, x.attempt, x.restore);
}

// A complete checkpoint as the checkpoint store keeps it: what a restore
// needs besides the snapshots themselves (stored per task). The store's own
// type (checkpoint_store.hpp), which knows nothing of CAF; sent as it is.
using checkpoint_record = stored_checkpoint;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_record& x) {
  return f(caf::meta::type_name("nagare.checkpoint_record"), x.job_id, x.id, x.savepoint,
           x.completed_ms, x.bytes, x.tasks, x.sources);
}

// Coordinator -> job master: the nodes of a (new) attempt's slots.
struct slot_assignment {
  std::vector<caf::actor> nodes;       // the node of each slot (subtask)
  std::vector<std::string> names;      // their names, for the shell
  std::vector<std::string> addresses;  // where their tasks are reached
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, slot_assignment& x) {
  return f(caf::meta::type_name("nagare.slot_assignment"), x.nodes, x.names, x.addresses);
}

// Task -> master when the task's snapshot of a checkpoint is durable.
struct checkpoint_ack {
  uint64_t bytes = 0;         // encoded snapshot size
  uint64_t alignment_us = 0;  // first barrier to last barrier (0 for sources)
  uint64_t sync_us = 0;       // snapshotting on the task's thread
  uint64_t async_us = 0;      // then storing the snapshot, in the background
  bool finished = false;      // the task had ended its input
  std::vector<std::string> state_keys;
  // The earlier checkpoints whose snapshots of this task this one needs
  // (its operators' incremental chains), ascending; empty when complete.
  std::vector<uint64_t> needs;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_ack& x) {
  return f(caf::meta::type_name("nagare.checkpoint_ack"), x.bytes, x.alignment_us, x.sync_us,
           x.async_us, x.finished, x.state_keys, x.needs);
}

// Task -> checkpoint store: one chunk of a task's snapshot (at most
// snapshot_chunk_bytes), sent in order, each after the previous one was
// stored (checkpoint_store_actor.hpp).
struct snapshot_upload {
  uint64_t job_id = 0;
  uint64_t checkpoint = 0;
  uint32_t task = 0;
  uint32_t chunk = 0;
  uint32_t chunks = 1;
  std::vector<uint64_t> needs;  // as checkpoint_ack::needs
  std::string bytes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_upload& x) {
  return f(caf::meta::type_name("nagare.snapshot_upload"), x.job_id, x.checkpoint, x.task, x.chunk,
           x.chunks, x.needs, x.bytes);
}

// One checkpoint as `checkpoints JOB` shows it.
struct task_checkpoint_info {
  uint32_t task = 0;
  std::string chain;
  uint32_t subtask = 0;
  bool acknowledged = false;
  uint64_t bytes = 0;
  double alignment_ms = 0;
  double sync_ms = 0;      // the task's snapshot, taken on its thread
  double async_ms = 0;     // storing it, in the background
  double duration_ms = 0;  // trigger to acknowledgement
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_checkpoint_info& x) {
  return f(caf::meta::type_name("nagare.task_checkpoint_info"), x.task, x.chain, x.subtask,
           x.acknowledged, x.bytes, x.alignment_ms, x.sync_ms, x.async_ms, x.duration_ms);
}

struct checkpoint_info {
  uint64_t id = 0;
  checkpoint_kind kind = checkpoint_kind::checkpoint;
  checkpoint_status status = checkpoint_status::in_progress;
  double started_unix_s = 0;
  double duration_ms = 0;
  uint64_t bytes = 0;
  double alignment_ms = 0;  // the longest of any task
  std::string reason;       // why it failed
  std::vector<task_checkpoint_info> tasks;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_info& x) {
  return f(caf::meta::type_name("nagare.checkpoint_info"), x.id, x.kind, x.status, x.started_unix_s,
           x.duration_ms, x.bytes, x.alignment_ms, x.reason, x.tasks);
}

// One restart of a job, as `restarts JOB` shows it.
struct restart_info {
  uint32_t attempt = 0;  // the attempt it started (1: the first restart)
  double at_unix_s = 0;  // when the failure was seen
  std::string reason;
  uint64_t restored_checkpoint = 0;  // 0: from the beginning
  double downtime_ms = 0;            // failure to running again (0 while restarting)
  restart_outcome outcome = restart_outcome::restarting;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restart_info& x) {
  return f(caf::meta::type_name("nagare.restart_info"), x.attempt, x.at_unix_s, x.reason,
           x.restored_checkpoint, x.downtime_ms, x.outcome);
}

// Counters of a task, reported when it finishes (and, later, to the shell).
struct task_stats {
  uint64_t records_in = 0;  // for a source task: records its source produced
  uint64_t records_out = 0;
  uint64_t batches_in = 0;
  uint64_t batches_out = 0;
  uint64_t dead_letters = 0;  // set aside by its source (malformed input)
  uint64_t late_records = 0;  // sent to late outputs by its operators
  uint64_t bytes_in = 0;      // of batches received from other processes
  // Time spent processing, and with input held back for lack of credit
  // downstream (backpressured); the rest of its life the task was idle.
  uint64_t busy_ns = 0;
  uint64_t backpressured_ns = 0;
  double started_unix_s = 0;  // when the task started running (0: not yet)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_stats& x) {
  return f(caf::meta::type_name("nagare.task_stats"), x.records_in, x.records_out, x.batches_in,
           x.batches_out, x.dead_letters, x.late_records, x.bytes_in, x.busy_ns, x.backpressured_ns,
           x.started_unix_s);
}

// The end state of a job, as `wait` answers it.
struct job_outcome {
  uint64_t job_id = 0;
  job_state state = job_state::unknown;  // how it ended (unknown: no such job)
  std::string reason;                    // why, when not FINISHED
  double seconds = 0;
  uint64_t source_records = 0;
  uint64_t dead_letters = 0;  // malformed records its sources set aside
  uint64_t late_records = 0;  // records its operators sent to late outputs
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_outcome& x) {
  return f(caf::meta::type_name("nagare.job_outcome"), x.job_id, x.state, x.reason, x.seconds,
           x.source_records, x.dead_letters, x.late_records);
}

// A node process's resources, as it reads them from /proc (node -> coordinator,
// (status_atom) -> node_usage).
struct node_usage {
  bool known = false;  // false: the node did not answer (or cannot read /proc)
  double cpu_seconds = 0;
  uint64_t rss_bytes = 0;
  uint64_t open_files = 0;
  uint64_t threads = 0;
  std::string metrics_address;  // HOST:PORT of its /metrics; "" if none
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_usage& x) {
  return f(caf::meta::type_name("nagare.node_usage"), x.known, x.cpu_seconds, x.rss_bytes,
           x.open_files, x.threads, x.metrics_address);
}

// What the admin shell and `nagare list` show.
struct node_info {
  uint32_t id = 0;
  std::string name;
  std::string address;  // HOST:PORT its tasks are reached at, or "local"
  uint32_t slots_used = 0;
  uint32_t slots_total = 0;
  node_state state = node_state::alive;
  double uptime_s = 0;
  node_usage usage;  // asked of the node (alive ones) when listed
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(caf::meta::type_name("nagare.node_info"), x.id, x.name, x.address, x.slots_used,
           x.slots_total, x.state, x.uptime_s, x.usage);
}

// How a running job is doing, as its master measures it every second
// (job_progress.cpp) and reports it to the coordinator for `list`.
struct job_progress {
  bool measured = false;              // false until two readings of its tasks
  double records_in_per_s = 0;        // what its sources produce
  double records_out_per_s = 0;       // what its sinks take in
  uint64_t last_checkpoint = 0;       // the newest completed checkpoint (0: none yet)
  double last_checkpoint_unix_s = 0;  // when it completed
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_progress& x) {
  return f(caf::meta::type_name("nagare.job_progress"), x.measured, x.records_in_per_s,
           x.records_out_per_s, x.last_checkpoint, x.last_checkpoint_unix_s);
}

struct job_info {
  uint64_t id = 0;
  std::string name;
  job_state state = job_state::running;
  uint32_t parallelism = 0;
  double uptime_s = 0;
  std::string reason;
  double submitted_unix_s = 0;  // 0: not known (a record recovered without it)
  job_progress progress;        // while it runs
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_info& x) {
  return f(caf::meta::type_name("nagare.job_info"), x.id, x.name, x.state, x.parallelism,
           x.uptime_s, x.reason, x.submitted_unix_s, x.progress);
}

// A job's graph as planned: its vertices (chains of operators, one task per
// subtask) and the exchanges between them, for the REST API.
struct job_graph_vertex {
  uint32_t id = 0;
  std::string name;
  uint32_t parallelism = 1;
  bool is_source = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_graph_vertex& x) {
  return f(caf::meta::type_name("nagare.job_graph_vertex"), x.id, x.name, x.parallelism,
           x.is_source);
}

struct job_graph_edge {
  uint32_t source = 0;
  uint32_t target = 0;
  std::string partition;  // FORWARD, HASH or REBALANCE
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_graph_edge& x) {
  return f(caf::meta::type_name("nagare.job_graph_edge"), x.source, x.target, x.partition);
}

struct job_graph {
  std::vector<job_graph_vertex> vertices;
  std::vector<job_graph_edge> edges;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_graph& x) {
  return f(caf::meta::type_name("nagare.job_graph"), x.vertices, x.edges);
}

// One task actor as the shell's `actors` and `inspect` show it. Its id is
// "JOB.TASK" (job id, dense task index).
struct task_info {
  std::string id;
  std::string chain;
  uint32_t subtask = 0;
  uint32_t parallelism = 0;
  std::string node;
  task_state state = task_state::created;
  task_stats stats;
  uint64_t queued_batches = 0;         // input batches waiting + output batches without credit
  std::vector<uint32_t> credits;       // per output channel: batches it may still send
  std::vector<uint32_t> input_queues;  // per input channel: batches waiting
  uint64_t state_entries = 0;          // keys held by keyed operators
  uint64_t state_bytes = 0;            // their state, as the backend measures it
  uint64_t dead_letters = 0;           // a source's input records it could not parse
  // Event time: the task's watermark (min_timestamp: none yet, max_timestamp:
  // its input ended) and whether it is idle (holds back no watermark).
  int64_t watermark = min_timestamp;
  bool idle = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_info& x) {
  return f(caf::meta::type_name("nagare.task_info"), x.id, x.chain, x.subtask, x.parallelism,
           x.node, x.state, x.stats, x.queued_batches, x.credits, x.input_queues, x.state_entries,
           x.state_bytes, x.dead_letters, x.watermark, x.idle);
}

// A batch of records on one channel. In one process `records` is moved
// between tasks as objects. Serialized (when it crosses a process boundary)
// it becomes a FlatBuffers header plus the records in the job's codec; the
// receiver decodes `wire` with its input reader.
struct batch_message {
  uint32_t channel = 0;  // the receiver's input channel
  std::shared_ptr<detail::record_batch> records;
  std::string wire;  // set only on the receiving side of a process boundary
};

std::string encode_batch(const detail::record_batch& records);
// The record count and payload of an encoded batch; an error if malformed.
struct wire_payload {
  uint32_t count = 0;
  const char* data = nullptr;
  size_t size = 0;
};
result<wire_payload> decode_batch_header(const std::string& wire);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_message& x) {
  if constexpr (Inspector::reads_state) {
    std::string wire = x.records ? encode_batch(*x.records) : x.wire;
    return f(caf::meta::type_name("nagare.batch"), x.channel, wire);
  } else {
    x.records.reset();
    return f(caf::meta::type_name("nagare.batch"), x.channel, x.wire);
  }
}

void register_message_types(caf::actor_system_config& cfg);

}  // namespace nagare
