#include "node.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include <caf/io/all.hpp>

#include "authz.hpp"
#include "checkpoint_store.hpp"
#include "library_cache.hpp"
#include "log.hpp"
#include "messages.hpp"
#include "metrics/process_metrics.hpp"
#include "task.hpp"

namespace nagare {

namespace {

constexpr auto fetch_timeout = std::chrono::seconds(60);
constexpr auto peer_timeout = std::chrono::seconds(10);

struct node_actor_state {
  node_options opts;
  caf::actor coordinator;
  std::unique_ptr<library_cache> libraries;
  std::shared_ptr<checkpoint_store> snapshots;  // local copies of this node's task snapshots
  struct job_entry {
    std::shared_ptr<const detail::graph> graph;
    std::shared_ptr<const physical_plan> plan;
    size_t live_tasks = 0;
  };
  std::map<uint64_t, job_entry> jobs;
  std::map<caf::actor_addr, uint64_t> tasks;  // live task -> job
  // Live task -> its state directory (leveldb state backend), removed when
  // the task ends: the state is scratch, its checkpoints are what lasts.
  std::map<caf::actor_addr, std::string> state_dirs;
  std::set<std::string> peers;  // nodes connected directly

  std::string log_name() const { return "node " + opts.name; }
};

using state_ptr = std::shared_ptr<node_actor_state>;

// Removes the state directory of `task` (if it has one), and its job's
// directory once empty.
void remove_state_dir(node_actor_state& st, const caf::actor_addr& task) {
  auto d = st.state_dirs.find(task);
  if (d == st.state_dirs.end()) return;
  std::filesystem::path dir(d->second);
  st.state_dirs.erase(d);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec)
    NAGARE_LOG(warning, st.log_name())
        << "cannot remove state directory " << dir.string() << ": " << ec.message();
  std::filesystem::remove(dir.parent_path(), ec);  // only if empty
}
using deploy_reply = caf::typed_response_promise<status, std::vector<caf::actor>>;

// The job's graph and plan as this node builds them; an error if the job
// cannot be loaded or its graph differs from the submitted plan.
result<node_actor_state::job_entry> prepare_job(node_actor_state& st, const deploy_request& req,
                                                const job_definition& lib) {
  auto known = st.jobs.find(req.job_id);
  if (known != st.jobs.end()) return known->second;
  auto g = build_graph(lib, req.job.args);
  if (!g.ok()) return g.error();
  auto submitted = decode_plan(req.job.plan);
  if (!submitted.ok()) return submitted.error();
  auto mine = make_plan(g.value(), req.job.name, {req.job.parallelism, req.job.max_parallelism});
  if (!mine.ok()) return mine.error();
  if (mine->fingerprint != submitted->fingerprint)
    return status(errc::library_error, "the job's graph on node " + st.opts.name +
                                           " differs from the submitted plan (does the job's main "
                                           "depend on more than its arguments?)");
  node_actor_state::job_entry e{
      std::make_shared<const detail::graph>(std::move(g.value())),
      std::make_shared<const physical_plan>(std::move(submitted.value()))};
  st.jobs.emplace(req.job_id, e);
  return e;
}

void spawn_tasks(caf::event_based_actor* self, const state_ptr& st, const deploy_request& req,
                 const job_definition& lib, deploy_reply rp) {
  auto job = prepare_job(*st, req, lib);
  if (!job.ok()) {
    rp.deliver(job.error(), std::vector<caf::actor>{});
    return;
  }
  std::vector<caf::actor> tasks;
  for (const auto& t : req.tasks) {
    task_setup setup;
    setup.job_id = req.job_id;
    setup.task_index = job->plan->task_index(t.vertex, t.subtask);
    setup.vertex = t.vertex;
    setup.subtask = t.subtask;
    setup.graph = job->graph;
    setup.plan = job->plan;
    setup.chain.job_name = req.job.name;
    setup.chain.job_id = req.job_id;
    setup.chain.metrics = st->opts.metrics;
    setup.chain.batch_records = req.job.batch_records;
    setup.chain.attempt = req.attempt;
    setup.chain.restored_checkpoint = req.restore.checkpoint;
    setup.chain.restored_own = req.restore.checkpoint != 0 && req.restore.job_id == req.job_id;
    setup.master = req.master;
    setup.store = req.store;
    setup.local_store = st->snapshots;
    setup.restore = req.restore;
    setup.at_least_once = req.job.at_least_once;
    setup.channel_credit = req.job.channel_credit;
    setup.linger_ms = req.job.linger_ms;
    setup.input_gates = job->plan->input_gates(t.vertex);
    if (req.job.state_backend == "leveldb") {
      setup.chain.state.backend = state_backend::leveldb;
      setup.chain.state.directory = st->opts.data_dir + "/state/job-" + std::to_string(req.job_id) +
                                    "/task-" + std::to_string(setup.task_index) + "-a" +
                                    std::to_string(req.attempt);
      setup.chain.state.cache_keys = req.job.state_cache_keys;
    }
    auto dir = setup.chain.state.directory;
    auto task = self->spawn<task_actor, caf::linked>(std::move(setup));
    st->tasks.emplace(task.address(), req.job_id);
    if (!dir.empty()) st->state_dirs.emplace(task.address(), std::move(dir));
    tasks.push_back(std::move(task));
  }
  st->jobs[req.job_id].live_tasks += tasks.size();
  NAGARE_LOG(info, st->log_name())
      << "deployed " << tasks.size() << " tasks of job " << req.job_id
      << (req.attempt ? " (attempt " + std::to_string(req.attempt) + ")" : "");
  rp.deliver(status{}, std::move(tasks));
}

// Connects the middleman to every peer not yet connected; one reply for all.
void connect_peers(caf::event_based_actor* self, const state_ptr& st,
                   const std::vector<std::string>& peers, caf::typed_response_promise<status> rp) {
  struct pending {
    size_t left = 0;
    status error;
    caf::typed_response_promise<status> rp;
  };
  auto p = std::make_shared<pending>();
  p->rp = rp;
  auto mm = self->system().middleman().actor_handle();
  for (const auto& peer : peers) {
    auto colon = peer.rfind(':');
    if (peer == st->opts.address || peer == "local" || colon == std::string::npos ||
        st->peers.count(peer))
      continue;
    ++p->left;
    auto host = peer.substr(0, colon);
    auto port = static_cast<uint16_t>(std::stoul(peer.substr(colon + 1)));
    auto done = [p, st, peer](status error) {
      if (error.ok()) st->peers.insert(peer);
      if (p->error.ok()) p->error = std::move(error);
      if (--p->left == 0) p->rp.deliver(p->error);
    };
    self->request(mm, peer_timeout, caf::connect_atom::value, host, port)
        .then([done](const caf::node_id&, caf::strong_actor_ptr&,
                     const std::set<std::string>&) { done(status{}); },
              [done, self, st, peer](caf::error& e) {
                auto why = status_of(e);
                done(status(why.code(), "node " + st->opts.name + " cannot reach node " + peer +
                                            ": " + self->system().render(e)));
              });
  }
  if (p->left == 0) rp.deliver(status{});
}

}  // namespace

caf::behavior node_actor(caf::event_based_actor* self, caf::actor coordinator, node_options opts) {
  auto st = std::make_shared<node_actor_state>();
  st->opts = std::move(opts);
  st->coordinator = coordinator;
  st->libraries = std::make_unique<library_cache>(st->opts.data_dir + "/libraries");
  // State directories of tasks of an earlier run of this node are stale.
  std::error_code ec;
  std::filesystem::remove_all(st->opts.data_dir + "/state", ec);
  if (st->opts.local_snapshots) {
    auto snapshots = checkpoint_store::open(st->opts.data_dir + "/snapshots");
    if (snapshots.ok())
      st->snapshots = std::move(snapshots.value());
    else
      NAGARE_LOG(warning, st->log_name())
          << "keeps no local snapshot copies: " << snapshots.error().message();
  }
  // Task exits are the job master's business; any other exit ends the node.
  self->set_exit_handler([self, st](caf::exit_msg& m) {
    auto t = st->tasks.find(m.source);
    if (t == st->tasks.end()) return self->quit(m.reason);
    auto j = st->jobs.find(t->second);
    st->tasks.erase(t);
    remove_state_dir(*st, m.source);
    if (j != st->jobs.end() && --j->second.live_tasks == 0)
      st->jobs.erase(j);  // graph no longer needed
  });
  // Without its coordinator a node has no purpose: it stops (and is restarted
  // by whoever runs it).
  self->monitor(coordinator);
  self->set_down_handler([self, st](caf::down_msg& m) {
    if (m.source != st->coordinator.address()) return;
    NAGARE_LOG(warning, st->log_name()) << "lost the coordinator: " << to_string(m.reason);
    self->quit(caf::exit_reason::remote_link_unreachable);
  });
  self->attach_functor([st](const caf::error&) {
    while (!st->state_dirs.empty()) remove_state_dir(*st, st->state_dirs.begin()->first);
    st->jobs.clear();
    st->tasks.clear();
    st->coordinator = nullptr;
  });
  self->request(coordinator, std::chrono::seconds(30), register_atom::value,
                caf::actor_cast<caf::actor>(self), st->opts.slots, st->opts.name, st->opts.address)
      .then([st](uint32_t id) { NAGARE_LOG(info, st->log_name()) << "registered as node " << id; },
            [self, st](caf::error& e) {
              NAGARE_LOG(error, st->log_name())
                  << "cannot register with the coordinator: " << to_string(e);
              self->quit(e);
            });
  return {
      [st](status_atom) {
        node_usage u;
        u.metrics_address = st->opts.metrics_address;
        if (auto p = read_process_usage()) {
          u.known = true;
          u.cpu_seconds = p->cpu_seconds;
          u.rss_bytes = p->rss_bytes;
          u.open_files = p->open_files;
          u.threads = p->threads;
        }
        return u;
      },
      // Only the coordinator (or this process) places work here (authz.hpp).
      // (require first: a response promise takes the message's sender.)
      [self, st](peers_atom, std::vector<std::string>& peers) {
        auto allowed = require(self, action::deploy, "connect to peers");
        auto rp = self->make_response_promise<status>();
        if (!allowed.ok())
          rp.deliver(std::move(allowed));
        else
          connect_peers(self, st, peers, rp);
        return rp;
      },
      [self, st](deploy_atom, deploy_request& req) {
        auto allowed = require(self, action::deploy, "deploy tasks of job '" + req.job.name + "'");
        auto rp = self->make_response_promise<status, std::vector<caf::actor>>();
        if (!allowed.ok()) {
          rp.deliver(std::move(allowed), std::vector<caf::actor>{});
          return rp;
        }
        auto cached = st->libraries->load(req.job.library_hash);
        const auto code = cached.ok() ? errc::ok : cached.error().code();
        if (code != errc::not_found && code != errc::corruption) {
          if (!cached.ok())
            rp.deliver(cached.error(), std::vector<caf::actor>{});
          else
            spawn_tasks(self, st, req, cached.value(), rp);
          return rp;
        }
        // Not cached, or the cached copy was damaged (and deleted): fetch the
        // library's bytes from the coordinator.
        const bool again = code == errc::corruption;
        if (again)
          NAGARE_LOG(warning, st->log_name())
              << cached.error().message() << "; fetching it again from the coordinator";
        self->request(st->coordinator, fetch_timeout, fetch_atom::value, req.job.library_hash)
            .then(
                [self, st, req, rp, again](status& error, std::string& bytes) mutable {
                  auto stored =
                      error.ok()
                          ? st->libraries->store(req.job.library_hash, bytes)
                          : result<job_definition>(status(errc::library_error, error.message()));
                  if (!stored.ok()) {
                    rp.deliver(stored.error(), std::vector<caf::actor>{});
                    return;
                  }
                  NAGARE_LOG(info, st->log_name())
                      << (again ? "fetched job library " : "cached job library ")
                      << req.job.library_hash << (again ? " again" : "");
                  spawn_tasks(self, st, req, stored.value(), rp);
                },
                [rp](caf::error& e) mutable {
                  rp.deliver(status_of(e, "cannot fetch the job library: "),
                             std::vector<caf::actor>{});
                });
        return rp;
      },
  };
}

}  // namespace nagare
