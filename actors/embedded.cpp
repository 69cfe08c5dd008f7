#include "embedded.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "checkpoint_store.hpp"
#include "coordinator.hpp"
#include "job_id_mark.hpp"
#include "log.hpp"
#include "node.hpp"
#include "plan.hpp"
#include "shutdown_watchdog.hpp"
#include "submission.hpp"
#include "system_config.hpp"

namespace nagare {

namespace {

// A temporary directory, removed with its contents.
struct scratch_dir {
  std::string path;
  scratch_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nagare-embedded-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

// What the runner hands back; written by the runner before it sends
// `ok_atom` to run_embedded's thread, read by that thread after.
struct runner_result {
  result<run_outcome> outcome = status(errc::internal, "job did not run");
};

// The runner's state: one job, from submission to its outcome (and the
// reply to a stop, which the coordinator sends after the outcome).
struct runner_state {
  caf::actor coordinator;
  caf::actor done;  // told (ok_atom) when `result` is final
  std::shared_ptr<runner_result> result;
  stop_mode on_stop = stop_mode::checkpoint;
  uint64_t job_id = 0;  // 0: not submitted yet
  bool stop_wanted = false;
  bool cancel_wanted = false;
  bool stop_sent = false;
  bool cancel_sent = false;
  bool awaiting_stop_reply = false;
  std::optional<job_outcome> outcome;
  run_outcome out;
};
using runner_ptr = std::shared_ptr<runner_state>;

void maybe_done(caf::event_based_actor* self, const runner_ptr& st) {
  if (!st->outcome || st->awaiting_stop_reply) return;
  st->out.job = *st->outcome;
  st->result->outcome = st->out;
  self->send(st->done, ok_atom::value);
  self->quit();
}

void fail_run(caf::event_based_actor* self, const runner_ptr& st, status why) {
  st->result->outcome = std::move(why);
  self->send(st->done, ok_atom::value);
  self->quit();
}

void send_cancel(caf::event_based_actor* self, const runner_ptr& st) {
  if (st->job_id == 0 || st->cancel_sent || st->outcome) return;
  st->cancel_sent = true;
  self->request(st->coordinator, caf::infinite, cancel_atom::value, st->job_id)
      .then([](status&) {}, [](caf::error&) {});
}

// A stop whose checkpoint fails leaves the job running: it is cancelled then.
void send_stop(caf::event_based_actor* self, const runner_ptr& st) {
  if (st->job_id == 0 || st->stop_sent || st->outcome) return;
  st->stop_sent = true;
  st->awaiting_stop_reply = true;
  self->request(st->coordinator, caf::infinite, stop_atom::value, st->job_id,
                static_cast<uint8_t>(st->on_stop))
      .then(
          [self, st](status& e, std::string& savepoint) {
            st->awaiting_stop_reply = false;
            st->out.savepoint = std::move(savepoint);
            if (!e.ok() && !st->cancel_wanted) {  // not: the user cancelled meanwhile
              st->out.stop_error = std::move(e);
              send_cancel(self, st);
            }
            maybe_done(self, st);
          },
          [self, st](caf::error& e) {
            st->awaiting_stop_reply = false;
            if (!st->cancel_wanted) st->out.stop_error = status_of(e);
            send_cancel(self, st);
            maybe_done(self, st);
          });
}

// Submits the job, waits for its outcome, and passes stop and cancel
// requests (from run_control) on to the coordinator.
caf::behavior job_runner(caf::event_based_actor* self, runner_ptr st) {
  return {
      [=](submit_atom, job_submission& sub) {
        self->request(st->coordinator, caf::infinite, submit_atom::value, std::move(sub))
            .then(
                [=](uint64_t id, status& error) {
                  if (!error.ok()) return fail_run(self, st, std::move(error));
                  st->job_id = id;
                  self->request(st->coordinator, caf::infinite, wait_atom::value, id)
                      .then(
                          [=](job_outcome& out) {
                            st->outcome = std::move(out);
                            maybe_done(self, st);
                          },
                          [=](caf::error& e) {
                            fail_run(self, st,
                                     status(errc::internal, "wait failed: " + to_string(e)));
                          });
                  if (st->cancel_wanted)
                    send_cancel(self, st);
                  else if (st->stop_wanted)
                    send_stop(self, st);
                },
                [=](caf::error& e) {
                  fail_run(self, st, status(errc::internal, "submit failed: " + to_string(e)));
                });
      },
      [=](stop_atom) {
        st->stop_wanted = true;
        send_stop(self, st);
      },
      [=](cancel_atom) {
        st->cancel_wanted = true;
        send_cancel(self, st);
      },
  };
}

// The stores of a state directory: its checkpoint store and job id mark,
// and the first job id (above every job either knows, so that ids and
// savepoint names never repeat across runs).
struct state_stores {
  std::shared_ptr<checkpoint_store> checkpoints;  // null: in memory
  std::shared_ptr<job_id_mark> ids;
  uint64_t next_job_id = 1;
};

result<state_stores> open_state_dir(const std::string& dir) {
  state_stores s;
  if (dir.empty()) return s;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return status::io_error("cannot create state directory '" + dir + "': " + ec.message());
  auto store = checkpoint_store::open(dir + "/checkpoints");
  if (!store.ok()) return store.error();
  s.checkpoints = std::move(store.value());
  s.ids = std::make_shared<job_id_mark>(job_id_mark::file_of(dir));
  auto marked = s.ids->read();
  if (!marked.ok()) return marked.error();
  auto highest = s.checkpoints->highest_job_id();
  if (!highest.ok()) return highest.error();
  s.next_job_id = std::max(marked.value(), highest.value()) + 1;
  return s;
}

}  // namespace

void run_control::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stop_ = true;
  if (runner_) caf::anon_send(runner_, stop_atom::value);
}

void run_control::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancel_ = true;
  if (runner_) caf::anon_send(runner_, cancel_atom::value);
}

void run_control::attach(caf::actor runner) {
  std::lock_guard<std::mutex> lock(mutex_);
  runner_ = std::move(runner);
  if (cancel_) caf::anon_send(runner_, cancel_atom::value);
  if (stop_) caf::anon_send(runner_, stop_atom::value);
}

void run_control::detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  runner_ = nullptr;
}

result<run_outcome> run_embedded(const job_definition& job, const std::vector<std::string>& args,
                                 const run_options& opts, run_control& control) {
  if (opts.nodes == 0) return status::invalid_argument("need at least one node");
  if (opts.job.batch_records == 0 || opts.job.channel_credit == 0)
    return status::invalid_argument("batch size and channel credit must be positive");
  if (opts.on_stop == stop_mode::at_once)
    return status::invalid_argument("an embedded job stops with a checkpoint or a savepoint");
  auto sub = prepare_submission(job, args, opts.job);
  if (!sub.ok()) return sub.error();
  auto plan = decode_plan(sub->plan);
  auto slots_needed = plan->max_vertex_parallelism();
  auto stores = open_state_dir(opts.state_dir);
  if (!stores.ok()) return stores.error();

  shutdown_watchdog watchdog;  // destroyed after the actor system
  scratch_dir cache;           // the nodes' library cache, removed at the end
  if (cache.path.empty()) return status::io_error("cannot create a temporary directory");
  caf::actor_system_config cfg;
  configure(cfg, opts.threads);
  caf::actor_system sys{cfg};
  auto coordinator =
      sys.spawn(coordinator_actor,
                coordinator_options{
                    nullptr, std::move(stores->checkpoints), {}, stores->next_job_id, stores->ids});
  std::vector<caf::actor> nodes;
  for (uint32_t i = 0; i < opts.nodes; ++i) {
    node_options n;
    n.name = "embedded-" + std::to_string(i);
    n.address = "local";
    n.data_dir = cache.path;
    n.local_snapshots = false;  // the checkpoint store is in this process anyway
    n.slots = (slots_needed + opts.nodes - 1) / opts.nodes;
    nodes.push_back(sys.spawn(node_actor, coordinator, n));
  }

  auto result = std::make_shared<runner_result>();
  {
    caf::scoped_actor self{sys};
    // Nodes register asynchronously; wait until all have.
    for (uint32_t alive = 0; alive < opts.nodes;) {
      self->request(coordinator, caf::infinite, nodes_atom::value)
          .receive([&](std::vector<node_info>& n) { alive = static_cast<uint32_t>(n.size()); },
                   [&](caf::error&) {});
      if (alive < opts.nodes) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    auto st = std::make_shared<runner_state>();
    st->coordinator = coordinator;
    st->done = caf::actor_cast<caf::actor>(self);
    st->result = result;
    st->on_stop = opts.on_stop;
    auto runner = sys.spawn(job_runner, st);
    self->send(runner, submit_atom::value, std::move(sub.value()));
    control.attach(runner);
    if (opts.observer) opts.observer->started(sys, coordinator);
    self->receive([](ok_atom) {});
    if (opts.observer) opts.observer->stopped();
    control.detach();
  }
  for (auto& n : nodes) caf::anon_send_exit(n, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
  watchdog.arm(std::chrono::seconds(30));
  return result->outcome;
}

result<job_outcome> run_embedded(const job_definition& job, const std::vector<std::string>& args,
                                 const run_options& opts) {
  run_control control;
  auto out = run_embedded(job, args, opts, control);
  if (!out.ok()) return out.error();
  return out->job;
}

}  // namespace nagare
