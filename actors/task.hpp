// The task actor: runs one subtask of a vertex (a chain of operators) and
// moves its records over credit-based channels.
//
// Flow control: a receiver grants each input channel `channel_credit`
// batches and returns one credit per batch it has processed. A sender sends
// only with credit; while any output channel holds a batch it cannot send,
// the task stops pulling input (a source stops polling). A slow consumer
// therefore stops its producers, and memory per channel stays bounded by
// credit + one poll step.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "messages.hpp"
#include "task_chain.hpp"

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
  std::vector<uint32_t> input_gates;  // gate of each input channel
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
  struct input_channel {
    caf::actor upstream;
    uint32_t upstream_channel = 0;
    uint32_t gate = 0;
    std::deque<std::shared_ptr<detail::record_batch>> queue;  // nullptr: end of stream
    bool ended = false;
  };
  struct output_channel {
    caf::actor downstream;
    uint32_t downstream_channel = 0;
    uint32_t credit = 0;
    std::deque<std::shared_ptr<detail::record_batch>> queue;  // nullptr: end of stream
    bool blocked = false;                                     // holds a batch it has no credit for
  };
  enum class phase { wired, running, draining, done };

  void emit(uint32_t channel, std::shared_ptr<detail::record_batch> batch) override;
  void on_connect(task_wiring& w);
  void on_start();
  void on_batch(batch_message& m);
  void on_credit(uint32_t channel, uint32_t n);
  void on_eos(uint32_t channel);
  task_info status_info() const;

  void run();      // processes queued input until blocked or idle
  void on_poll();  // sources: one poll step, then yield to the mailbox
  void schedule_poll();
  bool blocked() const { return blocked_outputs_ > 0; }
  void send_ready(output_channel& out);
  void end_stream();  // all input consumed: finish the chain, send end-of-stream
  void maybe_done();
  void fail(const status& st);
  // Runs job code; an exception becomes a task failure. False if it failed.
  template <class F>
  bool guarded(F&& f);

  task_setup setup_;
  std::unique_ptr<task_chain> chain_;
  std::vector<input_channel> inputs_;
  std::vector<output_channel> outputs_;
  size_t blocked_outputs_ = 0;
  size_t ended_inputs_ = 0;
  size_t next_input_ = 0;  // round-robin position
  bool poll_scheduled_ = false;
  phase phase_ = phase::wired;
  task_stats stats_;
};

}  // namespace nagare
