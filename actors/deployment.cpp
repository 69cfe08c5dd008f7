// One attempt's deployment: spawn the tasks on their nodes (one request per
// node), connect the nodes to each other, hand every task its channel peers
// (it then opens its operators and restores their state), and start them all
// once every task is ready. Replies of an earlier attempt are ignored.
#include <map>
#include <set>

#include "job_master_state.hpp"
#include "log.hpp"

namespace nagare {

namespace {

constexpr auto deploy_timeout = std::chrono::seconds(60);

struct attempt_context {
  master_ptr st;
  uint32_t attempt;
  std::function<void()> running;
  std::function<void(const status&, const damaged_snapshot&)> failed;
  bool reported = false;

  // Whether a reply still concerns the current attempt.
  bool current() const {
    return !reported && !st->over && st->attempt == attempt &&
           st->now == master_state::phase::deploying;
  }
  void fail(const status& why, const damaged_snapshot& where = {}) {
    if (!current()) return;
    reported = true;
    failed(why, where);
  }
};

using context_ptr = std::shared_ptr<attempt_context>;

void start_tasks(caf::event_based_actor* self, const context_ptr& cx) {
  auto& st = cx->st;
  // The sources' first splits, before the start message (job_sources.cpp).
  auto sourced = start_sources(self, st);
  if (!sourced.ok()) return cx->fail(sourced);
  for (auto& t : st->tasks) self->send(t, start_atom::value);
  NAGARE_LOG(info, st->log_name())
      << "running " << st->tasks.size() << " tasks"
      << (st->attempt ? " (attempt " + std::to_string(st->attempt) + ")" : "");
  cx->reported = true;
  cx->running();
}

// Every task is deployed: tell each its channel peers; each then opens and
// restores its operators and answers.
void connect_tasks(caf::event_based_actor* self, const context_ptr& cx) {
  auto& st = cx->st;
  const auto& plan = st->setup.plan;
  st->pending_replies = st->tasks.size();
  for (uint32_t v = 0; v < plan.vertices.size(); ++v) {
    for (uint32_t s = 0; s < plan.vertices[v].parallelism; ++s) {
      task_wiring w;
      for (const auto& peer : plan.output_channels(v, s)) {
        w.outputs.push_back(st->tasks[plan.task_index(peer.vertex, peer.subtask)]);
        w.output_channels.push_back(peer.channel);
      }
      for (const auto& peer : plan.input_channels(v, s)) {
        w.inputs.push_back(st->tasks[plan.task_index(peer.vertex, peer.subtask)]);
        w.input_channels.push_back(peer.channel);
      }
      self->request(st->tasks[plan.task_index(v, s)], deploy_timeout, connect_atom::value,
                    std::move(w))
          .then(
              [self, cx](status& error, damaged_snapshot& where) {
                if (!cx->current()) return;
                // A restore that found damage says which snapshot (errc::corruption).
                if (!error.ok()) return cx->fail(error, where);
                if (--cx->st->pending_replies == 0) start_tasks(self, cx);
              },
              [cx](caf::error& e) { cx->fail(status_of(e, "cannot connect tasks: ")); });
    }
  }
}

// Every node of the attempt connects directly to the others before records flow.
void connect_nodes(caf::event_based_actor* self, const context_ptr& cx) {
  auto& st = cx->st;
  std::set<caf::actor> nodes(st->setup.slots.nodes.begin(), st->setup.slots.nodes.end());
  st->pending_replies = nodes.size();
  for (const auto& node : nodes) {
    self->request(node, deploy_timeout, peers_atom::value, st->setup.slots.addresses)
        .then(
            [self, cx](status& error) {
              if (!cx->current()) return;
              if (!error.ok()) return cx->fail(error);
              if (--cx->st->pending_replies == 0) connect_tasks(self, cx);
            },
            [cx](caf::error& e) { cx->fail(status_of(e, "cannot connect nodes: ")); });
  }
}

}  // namespace

void deploy_attempt(caf::event_based_actor* self, const master_ptr& st,
                    std::function<void()> running,
                    std::function<void(const status&, const damaged_snapshot&)> failed) {
  auto cx = std::make_shared<attempt_context>(
      attempt_context{st, st->attempt, std::move(running), std::move(failed)});
  const auto& plan = st->setup.plan;
  auto n = plan.task_count();
  st->now = master_state::phase::deploying;
  st->tasks.assign(n, nullptr);
  st->ended.assign(n, false);
  st->finished.assign(n, false);
  st->final_stats.assign(n, task_stats{});
  st->ended_count = 0;
  st->finished_count = 0;
  // Group the tasks by node: one deploy request per node.
  std::map<caf::actor, std::vector<task_ref>> by_node;
  for (uint32_t v = 0; v < plan.vertices.size(); ++v)
    for (uint32_t s = 0; s < plan.vertices[v].parallelism; ++s)
      by_node[st->setup.slots.nodes[s]].push_back({v, s});
  st->pending_replies = by_node.size();
  for (auto& [node, refs] : by_node) {
    deploy_request req;
    req.job_id = st->setup.job_id;
    req.job = st->setup.job;
    req.tasks = refs;
    req.master = caf::actor_cast<caf::actor>(self);
    req.store = st->setup.store;
    req.attempt = st->attempt;
    req.restore = st->restore;
    self->request(node, deploy_timeout, deploy_atom::value, std::move(req))
        .then(
            [self, cx, refs = refs](status& error, std::vector<caf::actor>& actors) {
              if (!cx->current()) {
                // A reply of an abandoned attempt: its tasks must not linger.
                for (auto& a : actors) self->send_exit(a, caf::exit_reason::user_shutdown);
                return;
              }
              if (!error.ok()) return cx->fail(error);
              if (actors.size() != refs.size())
                return cx->fail(status(errc::internal, "node deployed a wrong number of tasks"));
              auto& st = cx->st;
              for (size_t i = 0; i < refs.size(); ++i) {
                auto& a = st->tasks[st->setup.plan.task_index(refs[i].vertex, refs[i].subtask)];
                a = std::move(actors[i]);
                self->monitor(a);
              }
              if (--st->pending_replies == 0) connect_nodes(self, cx);
            },
            [cx](caf::error& e) { cx->fail(status_of(e, "cannot deploy tasks: ")); });
  }
}

}  // namespace nagare
