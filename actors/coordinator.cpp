#include "coordinator.hpp"

#include <map>
#include <memory>

#include "job_master.hpp"
#include "log.hpp"
#include "messages.hpp"
#include "scheduler.hpp"

namespace nagare {

namespace {

struct node_entry {
  caf::actor handle;
  std::string name;
  node_slots slots;
};

struct job_entry {
  std::string name;
  caf::actor master;
  std::vector<uint32_t> slot_nodes;  // node index of each slot the job holds
  bool ended = false;
  job_outcome outcome;
  std::vector<caf::response_promise> waiters;
};

struct coordinator_state {
  std::vector<node_entry> nodes;
  std::map<uint64_t, job_entry> jobs;
  uint64_t next_job_id = 1;
};

using state_ptr = std::shared_ptr<coordinator_state>;

std::tuple<uint64_t, std::string> submit(caf::event_based_actor* self, const state_ptr& st,
                                         job_submission& job) {
  auto plan = decode_plan(job.plan);
  if (!plan.ok()) return {0, plan.error().message()};
  std::vector<node_slots> slots;
  for (const auto& n : st->nodes) slots.push_back(n.slots);
  auto assigned = assign_slots(plan->max_vertex_parallelism(), slots);
  if (!assigned.ok()) return {0, "job '" + job.name + "' rejected: " + assigned.error().message()};
  auto id = st->next_job_id++;
  job_master_setup setup;
  setup.job_id = id;
  setup.plan = std::move(plan.value());
  setup.coordinator = caf::actor_cast<caf::actor>(self);
  for (auto n : assigned.value()) {
    ++st->nodes[n].slots.used;
    setup.slot_nodes.push_back(st->nodes[n].handle);
  }
  auto& entry = st->jobs[id];
  entry.name = job.name;
  entry.slot_nodes = assigned.value();
  setup.job = std::move(job);
  entry.master = self->spawn<caf::linked>(job_master, std::move(setup));
  NAGARE_LOG(info, "coordinator") << "job " << id << " (" << entry.name << ") submitted";
  return {id, std::string{}};
}

void job_ended(const state_ptr& st, job_outcome& out) {
  auto j = st->jobs.find(out.job_id);
  if (j == st->jobs.end() || j->second.ended) return;
  auto& job = j->second;
  job.ended = true;
  job.outcome = out;
  job.master = nullptr;
  for (auto n : job.slot_nodes) --st->nodes[n].slots.used;
  for (auto& w : job.waiters) w.deliver(out);
  job.waiters.clear();
}

}  // namespace

caf::behavior coordinator_actor(caf::event_based_actor* self) {
  auto st = std::make_shared<coordinator_state>();
  // Job masters are linked; their normal exit is expected, anything else is
  // reported to the waiters as a failure of that job.
  self->set_exit_handler([self, st](caf::exit_msg& m) {
    if (!m.reason) return;  // a job master that concluded
    for (auto& [id, job] : st->jobs) {
      if (job.ended || job.master.address() != m.source) continue;
      job_outcome out{id, "FAILED", "job master stopped: " + to_string(m.reason), 0, 0};
      job_ended(st, out);
      return;
    }
    self->quit(m.reason);
  });
  self->set_down_handler([st](caf::down_msg& m) {
    for (auto& n : st->nodes) {
      if (n.handle.address() != m.source) continue;
      n.slots.alive = false;
      NAGARE_LOG(warning, "coordinator") << "node " << n.name << " lost: " << to_string(m.reason);
    }
  });
  self->attach_functor([st](const caf::error&) {
    st->nodes.clear();
    st->jobs.clear();
  });
  return {
      [self, st](register_atom, caf::actor node, uint32_t slots, std::string& name) {
        self->monitor(node);
        st->nodes.push_back({node, name, {slots, 0, true}});
        NAGARE_LOG(info, "coordinator")
            << "node " << name << " registered with " << slots << " slots";
        return static_cast<uint32_t>(st->nodes.size() - 1);
      },
      [self, st](submit_atom, job_submission& job) { return submit(self, st, job); },
      [self, st](wait_atom, uint64_t id) -> caf::result<job_outcome> {
        auto j = st->jobs.find(id);
        if (j == st->jobs.end())
          return job_outcome{id, "UNKNOWN", "no job with id " + std::to_string(id), 0, 0};
        if (j->second.ended) return j->second.outcome;
        auto promise = self->make_response_promise<job_outcome>();
        j->second.waiters.push_back(promise);
        return promise;
      },
      [st](job_done_atom, job_outcome& out) { job_ended(st, out); },
      [st](nodes_atom) {
        uint32_t alive = 0;
        for (const auto& n : st->nodes) alive += n.slots.alive ? 1 : 0;
        return alive;
      },
  };
}

}  // namespace nagare
