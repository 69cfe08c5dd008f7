// The task actor: runs one subtask of a vertex (a chain of operators) and
// moves its records over credit-based channels.
//
// Flow control: a receiver grants each input channel `channel_credit`
// batches and returns one credit per batch it has processed. A sender sends
// only with credit; while any output channel holds a batch it cannot send,
// the task stops pulling input (a source stops polling). A slow consumer
// therefore stops its producers, and memory per channel stays bounded by
// credit + one poll step.
//
// Checkpoints (Carbone et al., asynchronous barrier snapshots): a source task
// takes checkpoint n when the job master triggers it; every other task when
// barrier n has arrived on all of its input channels that have not ended.
// Barriers travel in order with the batches but need no credit. In
// exactly-once mode a channel that delivered barrier n is not read until the
// others have (alignment); in at-least-once mode it is. Taking the checkpoint:
// flush the output batches, let the operators prepare (sinks pre-commit),
// snapshot the chain, write it to the node's store, send barrier n on every
// output, and then, asynchronously, make the snapshot durable in the
// checkpoint store and acknowledge to the master.
//
// Event time: watermarks travel in-band like barriers (in order with the
// batches, without credit). A source task asks its source for the watermark
// after every poll; any other task keeps the watermark and idle status of
// each input channel, and its own watermark is the minimum over the channels
// that have neither ended nor gone idle. When that advances, the chain's
// operators see it (task_chain::advance_watermark, which flushes the output
// batches) and the task sends it on every output channel, after the records
// emitted before it. Timers that a watermark makes due fire in slices of
// timers_per_call() per operator while the outputs have credit: a step that
// fires a million windows waits for credit like a source does, and until it
// is done the task takes no input, processing time or checkpoint (a
// checkpoint triggered meanwhile is taken after it). A task whose open channels are all idle is
// idle and says so downstream, so that it holds back no one's watermark; the next watermark it
// sends makes it active again. At the end of input the chain sees max_timestamp before finish(). A
// channel blocked by barrier alignment keeps its watermarks queued with its batches.
//
// Processing time: the chain's advance_processing_time(now) comes before
// each input batch and each source poll, and every 10 ms while an
// operator wants it (processing-time timers).
//
// Asynchronous operators (nagare/async.hpp): while one is full the task takes
// no input (blocked()); their completions wake the task (task_waker), which
// lets the chain take them (task_chain::async_step) and goes on; a tick every
// 10 ms while requests are out times them out and retries them.
//
// End of input: the task finishes its chain, sends end-of-stream and reports
// `ended`, but stays: a task that has ended still acknowledges checkpoints
// (with its final state) until the master's last `complete`, which commits
// the sinks, closes the chain and ends the actor. So the output of a finished
// job is committed by a final checkpoint, like any other.
//
// The actor is a shell that wires messages to plain classes, each testable
// without an actor system (actors/task/):
//   input_channels   queues, credit back, round robin, alignment, input watermark
//   output_channels  credit per channel, queued items, blocked count
//   channel_peers    the CAF side of both: the messages to the peer tasks
//   snapshot_spool   a snapshot as it is encoded: in memory or the local copy
//   chunked_upload   the chunks of a snapshot for the checkpoint store
//   restore_loader   which snapshots to load, local copy or fetched, two at a time
// The actor owns them, calls them on its own thread, and keeps what touches
// the operator chain, processing and event time, and the master.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "messages.hpp"
#include "nagare/detail/operator_failure.hpp"
#include "nagare/detail/operators.hpp"
#include "snapshot_lineage.hpp"
#include "task/channel_peers.hpp"
#include "task/input_channels.hpp"
#include "task/output_channels.hpp"
#include "task/restore_loader.hpp"
#include "task/task_metrics.hpp"
#include "task_chain.hpp"
#include "task_waker.hpp"

namespace nagare {
class checkpoint_store;
class chunked_upload;
class restore_assembly;
}  // namespace nagare

namespace nagare {

struct task_setup {
  uint64_t job_id = 0;
  uint32_t task_index = 0;  // dense index in the plan
  uint32_t vertex = 0;
  uint32_t subtask = 0;
  std::shared_ptr<const detail::graph> graph;  // the job's graph, shared by a node's tasks
  std::shared_ptr<const physical_plan> plan;
  chain_options chain;
  caf::actor master;
  uint32_t channel_credit = 4;
  uint32_t linger_ms = 20;
  std::vector<uint32_t> input_gates;              // gate of each input channel
  caf::actor store;                               // the checkpoint store actor
  std::shared_ptr<checkpoint_store> local_store;  // the node's; may be null
  restore_spec restore;                           // where the state comes from
  bool at_least_once = false;
};

class task_actor : public caf::event_based_actor, private detail::batch_emitter {
 public:
  task_actor(caf::actor_config& cfg, task_setup setup);
  ~task_actor() override;
  caf::behavior make_behavior() override;
  const char* name() const override { return "nagare.task"; }
  // Drops the handles of peers and master: a quit actor keeps its members
  // until its last reference goes, and peers reference each other.
  void on_exit() override;

 private:
  // running -> draining (end of stream sent, outputs not yet empty) ->
  // ended (waits for the final checkpoint) -> done.
  enum class phase { wired, running, draining, ended, done };

  void emit(uint32_t channel, owned<detail::record_batch> owned_batch) override;
  caf::typed_response_promise<status, damaged_snapshot> on_connect(task_wiring& w);
  void on_start();
  void on_batch(batch_message& m);
  void on_credit(uint32_t channel, uint32_t n);
  // A barrier, watermark or end of stream arrived on input channel `channel`.
  void on_item(uint32_t channel, channel_item it, const char* what);
  task_info status_info() const;

  void run();      // processes queued input until blocked or idle
  void on_poll();  // sources: one poll step, then yield to the mailbox
  void schedule_poll();
  // Sources: the master's splits for the reader; a backed-off poll comes now.
  void on_splits(std::vector<source_split>& splits, bool no_more);
  // A poll that emitted nothing: the next one after a delay (1 ms, doubling
  // up to max_poll_backoff), so an idle unbounded source costs no CPU.
  void back_off();
  // No input now: an output channel is full, or an asynchronous operator
  // (its requests complete by `wake`, on_async()).
  bool blocked() const { return outputs_.blocked() || chain_->input_blocked(); }
  // Asynchronous operators: takes what completed, then goes on where the
  // task stopped (a watermark step, input, polls).
  void on_async();
  void end_stream();  // all input consumed: finish the chain, send end-of-stream
  // Event time: the minimum over the open, active input channels; or, for a
  // source, what its last poll generated.
  void update_input_watermark();
  void update_source_watermark();
  // Advances the chain to `wm` and sends it downstream (if it is higher than
  // the task's), or sends the idle status when it changed. False if job code
  // failed.
  bool forward_watermark(int64_t wm, bool idle);
  // Goes on with the event-time step under way (step_) while the outputs
  // have room; once the chain is done with it, sends the watermark on or, at
  // the end of input, finishes the stream. True when no step is left.
  bool continue_watermark_step();
  // The end of input once event time has ended: finish the chain, send
  // end-of-stream. False if job code failed.
  bool finish_stream();
  size_t timers_per_call() const { return chain_->info().batch_records; }
  // Processing time: the chain's advance_processing_time(now), and a tick
  // scheduled while an operator wants one. False if job code failed.
  bool advance_processing_time();
  void on_tick();
  void maybe_ended();
  void fail(const status& st);
  // Runs job code; an exception becomes a task failure. False if it failed.
  template <class F>
  bool guarded(F&& f);

  // Checkpoints (task_checkpoint.cpp).
  void on_trigger(uint64_t id);
  void take_checkpoint(uint64_t id);
  void on_complete(uint64_t id, bool last);
  // Stores the upload's next chunk in the checkpoint store, then the next;
  // acknowledges to the master after the last, with the time since
  // `synced` (the snapshot taken) as its asynchronous phase.
  void upload(uint64_t id, std::shared_ptr<chunked_upload> up,
              std::shared_ptr<const checkpoint_ack> ack,
              std::chrono::steady_clock::time_point synced);
  // Restores the chain as setup_.restore says, then delivers ok or the error
  // (with the damaged snapshot, for errc::corruption; task_restore.cpp): a restore_loader decides
  // what to load, the actor sends its fetches to the checkpoint store and applies the result.
  void restore(caf::typed_response_promise<status, damaged_snapshot> rp);
  void send_fetches(const std::shared_ptr<restore_loader>& r,
                    caf::typed_response_promise<status, damaged_snapshot> rp,
                    const std::vector<restore_loader::fetch>& fetches);
  status apply_restore(restore_assembly& a);

  task_setup setup_;
  std::unique_ptr<task_chain> chain_;
  std::shared_ptr<task_waker> waker_;
  channel_peers peers_;  // before the channels, which send through it
  input_channels inputs_;
  output_channels outputs_;
  bool poll_scheduled_ = false;  // a poll message (immediate or backed off) is on its way
  uint32_t backoff_ms_ = 0;      // the delay of the last backed-off poll; 0: none
  uint64_t backoff_id_ = 0;      // the backed-off poll that counts (later ones are stale)
  bool tick_scheduled_ = false;
  bool idle_ = false;  // told downstream that this task is idle
  // The event-time step under way, and what follows it: sending the
  // watermark on, or the end of the stream.
  enum class watermark_step { none, forward, end };
  watermark_step step_ = watermark_step::none;
  uint64_t deferred_trigger_ = 0;  // checkpoint triggered during a step
  phase phase_ = phase::wired;
  task_stats stats_;
  // Built-in metrics (null when the process exports none), published every
  // second; busy time is measured around the outermost handler that runs
  // the chain (busy_scope).
  std::unique_ptr<task_metrics> metrics_;
  void publish_metrics();
  class busy_scope;
  int busy_depth_ = 0;
  bool restored_finished_ = false;  // restored from a checkpoint taken after it ended
  // Checkpoints.
  uint64_t last_checkpoint_ = 0;  // highest id taken (or restored from)
  snapshot_lineage lineage_;      // what each snapshot taken needs of earlier ones
  std::chrono::steady_clock::time_point first_barrier_;
};

template <class F>
bool task_actor::guarded(F&& f) {
  try {
    f();
    return true;
  } catch (const detail::operator_failure& e) {
    fail(e.st);
  } catch (const std::exception& e) {
    fail(status(errc::user_error, e.what()));
  } catch (...) {
    fail(status(errc::user_error, "unknown exception"));
  }
  return false;
}

}  // namespace nagare
