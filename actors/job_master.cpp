#include "job_master.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <set>

#include "log.hpp"

namespace nagare {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto deploy_timeout = std::chrono::seconds(60);

struct master_state {
  job_master_setup setup;
  std::vector<caf::actor> tasks;  // by task index
  std::vector<bool> finished;
  std::vector<task_stats> final_stats;  // of finished tasks, by task index
  std::vector<task_ref> task_refs;      // by task index
  size_t finished_count = 0;
  size_t pending_replies = 0;
  uint64_t source_records = 0;  // produced by every source
  clock::time_point started = clock::now();
  bool over = false;

  std::string log_name() const { return "job " + std::to_string(setup.job_id); }
};

using state_ptr = std::shared_ptr<master_state>;

void conclude(caf::event_based_actor* self, const state_ptr& st, std::string state,
              std::string reason) {
  if (st->over) return;
  st->over = true;
  // Not exit_reason::kill: it cannot be trapped and would take the tasks' node too.
  for (auto& t : st->tasks)
    if (t) self->send_exit(t, caf::exit_reason::user_shutdown);
  job_outcome out;
  out.job_id = st->setup.job_id;
  out.state = std::move(state);
  out.reason = std::move(reason);
  out.seconds = std::chrono::duration<double>(clock::now() - st->started).count();
  out.source_records = st->source_records;
  NAGARE_LOG(info, st->log_name()) << out.state << (out.reason.empty() ? "" : ": " + out.reason);
  self->send(st->setup.coordinator, job_done_atom::value, out);
  self->quit();
}

// Every task is deployed: tell each one its channel peers, then start all.
void connect_tasks(caf::event_based_actor* self, const state_ptr& st) {
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
              [self, st](ok_atom) {
                if (--st->pending_replies > 0 || st->over) return;
                for (auto& t : st->tasks) self->send(t, start_atom::value);
                NAGARE_LOG(info, st->log_name()) << "running " << st->tasks.size() << " tasks";
              },
              [self, st](caf::error& e) {
                conclude(self, st, "FAILED", "cannot connect tasks: " + to_string(e));
              });
    }
  }
}

// Every node of the job connects directly to the others before records flow.
void connect_nodes(caf::event_based_actor* self, const state_ptr& st) {
  std::set<caf::actor> nodes(st->setup.slot_nodes.begin(), st->setup.slot_nodes.end());
  std::vector<std::string> addresses(st->setup.slot_node_addresses.begin(),
                                     st->setup.slot_node_addresses.end());
  st->pending_replies = nodes.size();
  for (const auto& node : nodes) {
    self->request(node, deploy_timeout, peers_atom::value, addresses)
        .then(
            [self, st](std::string& error) {
              if (st->over) return;
              if (!error.empty()) return conclude(self, st, "FAILED", error);
              if (--st->pending_replies == 0) connect_tasks(self, st);
            },
            [self, st](caf::error& e) {
              conclude(self, st, "FAILED", "cannot connect nodes: " + to_string(e));
            });
  }
}

void deploy(caf::event_based_actor* self, const state_ptr& st) {
  const auto& plan = st->setup.plan;
  // Group the tasks by node: one deploy request per node.
  std::map<caf::actor, std::vector<task_ref>> by_node;
  for (uint32_t v = 0; v < plan.vertices.size(); ++v)
    for (uint32_t s = 0; s < plan.vertices[v].parallelism; ++s)
      by_node[st->setup.slot_nodes[s]].push_back({v, s});
  st->pending_replies = by_node.size();
  for (auto& [node, refs] : by_node) {
    deploy_request req;
    req.job_id = st->setup.job_id;
    req.job = st->setup.job;
    req.tasks = refs;
    req.master = caf::actor_cast<caf::actor>(self);
    self->request(node, deploy_timeout, deploy_atom::value, std::move(req))
        .then(
            [self, st, refs = refs](std::string& error, std::vector<caf::actor>& actors) {
              if (st->over) return;
              if (!error.empty() || actors.size() != refs.size())
                return conclude(self, st, "FAILED",
                                error.empty() ? "node deployed a wrong number of tasks" : error);
              for (size_t i = 0; i < refs.size(); ++i) {
                auto& a = st->tasks[st->setup.plan.task_index(refs[i].vertex, refs[i].subtask)];
                a = std::move(actors[i]);
                self->monitor(a);
              }
              if (--st->pending_replies == 0) connect_nodes(self, st);
            },
            [self, st](caf::error& e) {
              conclude(self, st, "FAILED", "cannot deploy tasks: " + to_string(e));
            });
  }
}

// What the master knows of a task without asking it.
task_info describe_task(const state_ptr& st, uint32_t index) {
  const auto& ref = st->task_refs[index];
  const auto& v = st->setup.plan.vertices[ref.vertex];
  task_info info;
  info.id = std::to_string(st->setup.job_id) + "." + std::to_string(index);
  info.chain = v.name;
  info.subtask = ref.subtask;
  info.parallelism = v.parallelism;
  info.node =
      st->setup.slot_node_names.size() > ref.subtask ? st->setup.slot_node_names[ref.subtask] : "";
  info.state = st->finished[index] ? "FINISHED" : st->tasks[index] ? "UNREACHABLE" : "CREATED";
  if (st->finished[index]) info.stats = st->final_stats[index];
  return info;
}

// Asks the given tasks for their status and delivers all answers at once; a
// task that does not answer in time is listed with what the master knows.
void query_tasks(caf::event_based_actor* self, const state_ptr& st, std::vector<uint32_t> indices,
                 std::function<void(std::vector<task_info>&)> deliver) {
  struct collection {
    std::vector<task_info> infos;
    size_t pending;
    std::function<void(std::vector<task_info>&)> deliver;
  };
  auto c = std::make_shared<collection>();
  c->pending = indices.size();
  c->deliver = std::move(deliver);
  for (auto i : indices) c->infos.push_back(describe_task(st, i));
  if (indices.empty()) return c->deliver(c->infos);
  for (size_t k = 0; k < indices.size(); ++k) {
    auto done = [c] {
      if (--c->pending == 0) c->deliver(c->infos);
    };
    // No answer: describe it as the master knows it now (it may have finished meanwhile).
    auto unanswered = [c, k, st, index = indices[k], done](caf::error&) {
      c->infos[k] = describe_task(st, index);
      done();
    };
    const auto& task = st->tasks[indices[k]];
    if (!task || st->finished[indices[k]]) {
      done();
      continue;
    }
    self->request(task, std::chrono::seconds(2), status_atom::value)
        .then(
            [c, k, done](task_info& reported) {
              auto& info = c->infos[k];
              reported.id = info.id;
              reported.node = info.node;
              info = std::move(reported);
              done();
            },
            unanswered);
  }
}

}  // namespace

caf::behavior job_master(caf::event_based_actor* self, job_master_setup setup) {
  auto st = std::make_shared<master_state>();
  st->setup = std::move(setup);
  auto n = st->setup.plan.task_count();
  st->tasks.resize(n);
  st->finished.resize(n);
  st->final_stats.resize(n);
  for (const auto& v : st->setup.plan.vertices) {
    for (uint32_t s = 0; s < v.parallelism; ++s) {
      st->task_refs.push_back({v.id, s});
    }
  }
  self->set_down_handler([self, st](caf::down_msg& m) {
    for (size_t i = 0; i < st->tasks.size(); ++i) {
      if (st->tasks[i].address() != m.source || st->finished[i]) continue;
      auto t = describe_task(st, static_cast<uint32_t>(i));
      auto why = m.reason == caf::exit_reason::remote_link_unreachable
                     ? "its node became unreachable"
                     : to_string(m.reason);
      conclude(self, st, "FAILED",
               "task " + t.id + " (" + t.chain + ") on node " + t.node + " died: " + why);
    }
  });
  // The state holds the tasks, which hold this actor: release on exit.
  self->attach_functor([st](const caf::error&) {
    st->tasks.clear();
    st->setup.slot_nodes.clear();
    st->setup.coordinator = nullptr;
  });
  deploy(self, st);
  return {
      [self, st](finished_atom, uint32_t task, task_stats& stats) {
        if (task >= st->finished.size() || st->finished[task]) return;
        st->finished[task] = true;
        st->final_stats[task] = stats;
        if (st->setup.plan.vertices[st->task_refs[task].vertex].is_source)
          st->source_records += stats.records_in;
        if (++st->finished_count == st->tasks.size()) conclude(self, st, "FINISHED", "");
      },
      [self, st](failed_atom, uint32_t, std::string& reason) {
        conclude(self, st, "FAILED", reason);
      },
      [self, st](node_lost_atom, const std::string& node) {
        conclude(self, st, "FAILED", "node " + node + " was lost");
      },
      [self, st](cancel_atom) {
        conclude(self, st, "CANCELED", "cancelled by request");
        return std::string{};
      },
      [self, st](actors_atom) {
        auto rp = self->make_response_promise<std::string, std::vector<task_info>>();
        std::vector<uint32_t> all(st->tasks.size());
        for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
        query_tasks(self, st, all, [rp](std::vector<task_info>& infos) mutable {
          rp.deliver(std::string{}, infos);
        });
        return rp;
      },
      [self, st](inspect_atom, uint32_t task) {
        auto rp = self->make_response_promise<std::string, task_info>();
        if (task >= st->tasks.size()) {
          rp.deliver(
              "job " + std::to_string(st->setup.job_id) + " has no task " + std::to_string(task),
              task_info{});
          return rp;
        }
        query_tasks(self, st, {task}, [rp](std::vector<task_info>& infos) mutable {
          rp.deliver(std::string{}, infos[0]);
        });
        return rp;
      },
  };
}

}  // namespace nagare
