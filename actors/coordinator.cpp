#include "coordinator.hpp"

#include <chrono>
#include <map>
#include <memory>

#include "checkpoint_store_actor.hpp"
#include "job_master.hpp"
#include "job_record.hpp"
#include "log.hpp"
#include "messages.hpp"
#include "metadata_store.hpp"
#include "scheduler.hpp"

namespace nagare {

namespace {

using clock = std::chrono::steady_clock;
constexpr auto query_timeout = std::chrono::seconds(5);

struct node_entry {
  caf::actor handle;
  std::string name;
  std::string address;
  node_slots slots;
  clock::time_point since = clock::now();
  clock::time_point lost;  // when it was lost (uptime stops there)
};

struct job_entry {
  std::string name;
  uint32_t parallelism = 0;
  caf::actor master;
  std::vector<uint32_t> slot_nodes;  // node index of each slot the job holds
  std::string state = "RUNNING";
  std::string reason;
  clock::time_point since = clock::now();
  job_outcome outcome;
  // Of an ended job (a running one's master has them).
  std::vector<restart_info> restarts;
  std::vector<checkpoint_info> checkpoints;
  std::vector<caf::response_promise> waiters;
  bool ended() const { return state != "RUNNING"; }
};

struct coordinator_state {
  std::shared_ptr<metadata_store> store;
  caf::actor checkpoints;  // the checkpoint store actor
  std::vector<node_entry> nodes;
  std::map<uint64_t, job_entry> jobs;
  std::map<uint64_t, job_record> records;  // what the store holds, by job id
  uint64_t next_job_id = 1;
};

using state_ptr = std::shared_ptr<coordinator_state>;

void persist(const state_ptr& st, uint64_t id) {
  auto r = st->records.find(id);
  if (r == st->records.end()) return;
  auto written = st->store->put_job(id, encode_job_record(r->second));
  if (!written.ok()) NAGARE_LOG(error, "coordinator") << "job " << id << ": " << written.message();
}

// Marks the slots as used and names their nodes for the job master.
slot_assignment take_slots(const state_ptr& st, const std::vector<uint32_t>& assigned) {
  slot_assignment out;
  for (auto n : assigned) {
    ++st->nodes[n].slots.used;
    out.nodes.push_back(st->nodes[n].handle);
    out.names.push_back(st->nodes[n].name);
    out.addresses.push_back(st->nodes[n].address);
  }
  return out;
}

void release_slots(const state_ptr& st, job_entry& job) {
  for (auto n : job.slot_nodes)
    if (st->nodes[n].slots.used > 0) --st->nodes[n].slots.used;
  job.slot_nodes.clear();
}

// New slots on live nodes for a job that restarts.
std::tuple<std::string, slot_assignment> reschedule(const state_ptr& st, uint64_t id) {
  auto j = st->jobs.find(id);
  if (j == st->jobs.end() || j->second.ended())
    return {"job " + std::to_string(id) + " is not running", {}};
  auto& job = j->second;
  release_slots(st, job);
  auto rec = st->records.find(id);
  auto plan = decode_plan(rec->second.job.plan);
  if (!plan.ok()) return {plan.error().message(), {}};
  std::vector<node_slots> slots;
  for (const auto& n : st->nodes) slots.push_back(n.slots);
  auto assigned = assign_slots(plan->max_vertex_parallelism(), slots);
  if (!assigned.ok()) return {assigned.error().message(), {}};
  job.slot_nodes = assigned.value();
  return {std::string{}, take_slots(st, assigned.value())};
}

std::tuple<uint64_t, std::string> submit(caf::event_based_actor* self, const state_ptr& st,
                                         job_submission& job) {
  auto plan = decode_plan(job.plan);
  if (!plan.ok()) return {0, plan.error().message()};
  if (!job.library.empty()) {
    if (library_hash(job.library) != job.library_hash)
      return {0, "job library bytes do not match their hash"};
    auto stored = st->store->put_library(job.library_hash, job.library);
    if (!stored.ok()) return {0, stored.message()};
    job.library.clear();  // nodes fetch it by hash
  } else if (job.library_hash.rfind("linked:", 0) != 0 &&
             !st->store->library(job.library_hash).ok()) {
    return {0, "job library " + job.library_hash + " was not sent and is not stored"};
  }
  std::vector<node_slots> slots;
  for (const auto& n : st->nodes) slots.push_back(n.slots);
  auto assigned = assign_slots(plan->max_vertex_parallelism(), slots);
  if (!assigned.ok()) return {0, "job '" + job.name + "' rejected: " + assigned.error().message()};

  auto id = st->next_job_id++;
  job_master_setup setup;
  setup.job_id = id;
  setup.plan = std::move(plan.value());
  setup.coordinator = caf::actor_cast<caf::actor>(self);
  setup.store = st->checkpoints;
  setup.slots = take_slots(st, assigned.value());
  auto& entry = st->jobs[id];
  entry.name = job.name;
  entry.parallelism = job.parallelism;
  entry.slot_nodes = assigned.value();
  st->records[id] = make_job_record(id, job);
  persist(st, id);
  setup.job = std::move(job);
  entry.master = self->spawn<caf::linked>(job_master, std::move(setup));
  NAGARE_LOG(info, "coordinator") << "job " << id << " (" << entry.name << ") submitted";
  return {id, std::string{}};
}

void job_ended(caf::event_based_actor* self, const state_ptr& st, job_outcome& out,
               std::vector<restart_info> restarts, std::vector<checkpoint_info> checkpoints) {
  auto j = st->jobs.find(out.job_id);
  if (j == st->jobs.end() || j->second.ended()) return;
  auto& job = j->second;
  job.state = out.state;
  job.reason = out.reason;
  job.outcome = out;
  job.restarts = std::move(restarts);
  job.checkpoints = std::move(checkpoints);
  job.master = nullptr;
  release_slots(st, job);
  // A failed job keeps its checkpoints (to look into); savepoints always stay.
  if (out.state != "FAILED") caf::anon_send(st->checkpoints, drop_atom::value, out.job_id);
  for (auto& w : job.waiters) w.deliver(out);
  job.waiters.clear();
  auto& rec = st->records[out.job_id];
  rec.state = out.state;
  rec.reason = out.reason;
  persist(st, out.job_id);
  NAGARE_LOG(info, "coordinator") << "job " << out.job_id << " " << out.state
                                  << (out.reason.empty() ? "" : ": " + out.reason);
}

// Jobs of an earlier coordinator run: ended ones are listed as they ended;
// running ones resume from their latest complete checkpoint, on the nodes
// that register (again).
void restore_jobs(caf::event_based_actor* self, const state_ptr& st) {
  auto stored = st->store->jobs();
  if (!stored.ok()) {
    NAGARE_LOG(error, "coordinator") << stored.error().message();
    return;
  }
  for (auto& [id, bytes] : stored.value()) {
    auto rec = decode_job_record(bytes);
    if (!rec.ok()) {
      NAGARE_LOG(error, "coordinator") << "job " << id << ": " << rec.error().message();
      continue;
    }
    st->next_job_id = std::max(st->next_job_id, id + 1);
    auto& job = st->jobs[id];
    job.name = rec->name;
    job.parallelism = rec->parallelism;
    job.state = rec->state;
    job.reason = rec->reason;
    job.outcome = job_outcome{id, rec->state, rec->reason, 0, 0};
    if (rec->state == "RUNNING") {
      auto plan = decode_plan(rec->job.plan);
      if (!plan.ok()) {
        job.state = rec->state = "FAILED";
        job.reason = rec->reason = "cannot resume: " + plan.error().message();
      } else {
        job_master_setup setup;
        setup.job_id = id;
        setup.job = rec->job;
        setup.plan = std::move(plan.value());
        setup.coordinator = caf::actor_cast<caf::actor>(self);
        setup.store = st->checkpoints;
        setup.resume = true;
        job.master = self->spawn<caf::linked>(job_master, std::move(setup));
        NAGARE_LOG(info, "coordinator") << "job " << id << " (" << job.name << ") resumes";
      }
    }
    st->records[id] = std::move(rec.value());
    persist(st, id);
  }
}

// The job master of a running job, or why there is none.
std::pair<caf::actor, std::string> master_of(const state_ptr& st, uint64_t id) {
  auto j = st->jobs.find(id);
  if (j == st->jobs.end()) return {nullptr, "no job with id " + std::to_string(id)};
  if (j->second.ended()) return {nullptr, "job " + std::to_string(id) + " is " + j->second.state};
  return {j->second.master, ""};
}

// "JOB.TASK" -> (job, task).
bool parse_task_id(const std::string& text, uint64_t& job, uint32_t& task) {
  auto dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size()) return false;
  for (size_t i = 0; i < text.size(); ++i)
    if (i != dot && (text[i] < '0' || text[i] > '9')) return false;
  try {
    job = std::stoull(text.substr(0, dot));
    auto t = std::stoull(text.substr(dot + 1));
    if (t > UINT32_MAX) return false;
    task = static_cast<uint32_t>(t);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// Forwards a request about job `id` to its master; the reply is (error, T).
// Waits as long as the master may take (a checkpoint, a savepoint).
template <class... Reply, class... Ts>
caf::typed_response_promise<Reply...> forward(caf::event_based_actor* self, const state_ptr& st,
                                              uint64_t id, Ts... xs) {
  auto rp = self->make_response_promise<Reply...>();
  auto [master, error] = master_of(st, id);
  if (!master) {
    rp.deliver(error, std::tuple_element_t<1, std::tuple<Reply...>>{});
    return rp;
  }
  self->request(master, std::chrono::minutes(10), xs...)
      .then([rp](Reply&... r) mutable { rp.deliver(std::move(r)...); },
            [rp](caf::error& e) mutable {
              rp.deliver(to_string(e), std::tuple_element_t<1, std::tuple<Reply...>>{});
            });
  return rp;
}

}  // namespace

caf::behavior coordinator_actor(caf::event_based_actor* self, coordinator_options opts) {
  auto st = std::make_shared<coordinator_state>();
  st->store = opts.store;
  if (!st->store) st->store = std::move(metadata_store::open("").value());
  auto checkpoints = opts.checkpoints;
  if (!checkpoints) checkpoints = std::move(checkpoint_store::open("").value());
  st->checkpoints = spawn_checkpoint_store(self->system(), std::move(checkpoints));
  restore_jobs(self, st);
  // Job masters are linked; their normal exit is expected, anything else is
  // reported to the waiters as a failure of that job.
  self->set_exit_handler([self, st](caf::exit_msg& m) {
    if (!m.reason) return;  // a job master that concluded
    for (auto& [id, job] : st->jobs) {
      if (job.ended() || job.master.address() != m.source) continue;
      job_outcome out{id, "FAILED", "job master stopped: " + to_string(m.reason), 0, 0};
      job_ended(self, st, out, {}, {});
      return;
    }
    self->quit(m.reason);
  });
  // A lost node fails every running job that has tasks on it.
  self->set_down_handler([self, st](caf::down_msg& m) {
    for (uint32_t i = 0; i < st->nodes.size(); ++i) {
      auto& n = st->nodes[i];
      if (n.handle.address() != m.source || !n.slots.alive) continue;
      n.slots.alive = false;
      n.lost = clock::now();
      NAGARE_LOG(warning, "coordinator") << "node " << n.name << " lost: " << to_string(m.reason);
      for (auto& [id, job] : st->jobs) {
        if (job.ended() ||
            std::find(job.slot_nodes.begin(), job.slot_nodes.end(), i) == job.slot_nodes.end())
          continue;
        self->send(job.master, node_lost_atom::value, n.name);
      }
    }
  });
  self->attach_functor([st](const caf::error&) {
    caf::anon_send_exit(st->checkpoints, caf::exit_reason::user_shutdown);
    st->checkpoints = nullptr;
    st->nodes.clear();
    st->jobs.clear();
  });
  return {
      [self, st](register_atom, caf::actor node, uint32_t slots, std::string& name,
                 std::string& address) {
        self->monitor(node);
        // A node that comes back on its old address takes its old entry.
        for (uint32_t i = 0; i < st->nodes.size(); ++i) {
          auto& n = st->nodes[i];
          if (n.slots.alive || n.address != address || address == "local") continue;
          n = {node, name, address, {slots, 0, true}, clock::now(), {}};
          NAGARE_LOG(info, "coordinator") << "node " << name << " (" << address
                                          << ") registered again with " << slots << " slots";
          return i;
        }
        st->nodes.push_back({node, name, address, {slots, 0, true}, clock::now(), {}});
        NAGARE_LOG(info, "coordinator")
            << "node " << name << " (" << address << ") registered with " << slots << " slots";
        return static_cast<uint32_t>(st->nodes.size() - 1);
      },
      [self, st](submit_atom, job_submission& job) {
        auto rp = self->make_response_promise<uint64_t, std::string>();
        if (job.from_savepoint.empty()) {
          auto [id, error] = submit(self, st, job);
          rp.deliver(id, error);
          return rp;
        }
        // A savepoint that does not exist (or cannot be read) refuses the submission.
        self->request(st->checkpoints, query_timeout, load_atom::value, job.from_savepoint)
            .then(
                [self, st, rp, job](std::string& error, checkpoint_record&) mutable {
                  if (!error.empty()) {
                    rp.deliver(uint64_t{0}, error);
                    return;
                  }
                  auto [id, e] = submit(self, st, job);
                  rp.deliver(id, e);
                },
                [rp, sp = job.from_savepoint](caf::error& e) mutable {
                  rp.deliver(uint64_t{0}, "cannot read savepoint " + sp + ": " + to_string(e));
                });
        return rp;
      },
      [self, st](wait_atom, uint64_t id) -> caf::result<job_outcome> {
        auto j = st->jobs.find(id);
        if (j == st->jobs.end())
          return job_outcome{id, "UNKNOWN", "no job with id " + std::to_string(id), 0, 0};
        if (j->second.ended()) return j->second.outcome;
        auto promise = self->make_response_promise<job_outcome>();
        j->second.waiters.push_back(promise);
        return promise;
      },
      [self, st](job_done_atom, job_outcome& out, std::vector<restart_info>& restarts,
                 std::vector<checkpoint_info>& checkpoints) {
        job_ended(self, st, out, std::move(restarts), std::move(checkpoints));
      },
      [st](reschedule_atom, uint64_t id) { return reschedule(st, id); },
      [self, st](savepoints_atom) {
        auto rp = self->make_response_promise<std::string, std::vector<checkpoint_record>>();
        self->request(st->checkpoints, query_timeout, load_atom::value, savepoint_atom::value)
            .then([rp](std::string& e,
                       std::vector<checkpoint_record>& r) mutable { rp.deliver(e, r); },
                  [rp](caf::error& e) mutable {
                    rp.deliver(to_string(e), std::vector<checkpoint_record>{});
                  });
        return rp;
      },
      [self, st](checkpoints_atom, uint64_t id) {
        auto j = st->jobs.find(id);
        if (j != st->jobs.end() && j->second.ended()) {
          auto rp = self->make_response_promise<std::string, std::vector<checkpoint_info>>();
          rp.deliver(std::string{}, j->second.checkpoints);
          return rp;
        }
        return forward<std::string, std::vector<checkpoint_info>>(self, st, id,
                                                                  checkpoints_atom::value);
      },
      [self, st](checkpoint_atom, uint64_t id) {
        return forward<std::string, checkpoint_info>(self, st, id, checkpoint_atom::value);
      },
      [self, st](savepoint_atom, uint64_t id) {
        return forward<std::string, std::string>(self, st, id, savepoint_atom::value);
      },
      [self, st](stop_atom, uint64_t id, bool savepoint) {
        return forward<std::string, std::string>(self, st, id, stop_atom::value, savepoint);
      },
      [self, st](restarts_atom, uint64_t id) {
        auto j = st->jobs.find(id);
        if (j != st->jobs.end() && j->second.ended()) {
          auto rp = self->make_response_promise<std::string, std::vector<restart_info>>();
          rp.deliver(std::string{}, j->second.restarts);
          return rp;
        }
        return forward<std::string, std::vector<restart_info>>(self, st, id, restarts_atom::value);
      },
      [self, st](kill_atom, const std::string& task_id) {
        auto rp = self->make_response_promise<std::string>();
        uint64_t job = 0;
        uint32_t task = 0;
        if (!parse_task_id(task_id, job, task)) {
          rp.deliver("'" + task_id + "' is not an actor id (JOB.TASK, as `actors JOB` lists them)");
          return rp;
        }
        auto [master, error] = master_of(st, job);
        if (!master) {
          rp.deliver(error);
          return rp;
        }
        self->request(master, query_timeout, kill_atom::value, task)
            .then([rp](std::string& e) mutable { rp.deliver(e); },
                  [rp](caf::error& e) mutable { rp.deliver(to_string(e)); });
        return rp;
      },
      [self, st](cancel_atom, uint64_t id) {
        auto rp = self->make_response_promise<std::string>();
        auto [master, error] = master_of(st, id);
        if (!master) {
          rp.deliver(error);
          return rp;
        }
        self->request(master, query_timeout, cancel_atom::value)
            .then([rp](std::string& e) mutable { rp.deliver(e); },
                  [rp](caf::error& e) mutable { rp.deliver(to_string(e)); });
        return rp;
      },
      [st](fetch_atom, const std::string& hash) {
        auto bytes = st->store->library(hash);
        if (!bytes.ok()) return std::make_tuple(bytes.error().message(), std::string{});
        return std::make_tuple(std::string{}, std::move(bytes.value()));
      },
      [st](nodes_atom) {
        std::vector<node_info> out;
        for (uint32_t i = 0; i < st->nodes.size(); ++i) {
          const auto& n = st->nodes[i];
          out.push_back(
              {i, n.name, n.address, n.slots.used, n.slots.total, n.slots.alive ? "ALIVE" : "LOST",
               std::chrono::duration<double>((n.slots.alive ? clock::now() : n.lost) - n.since)
                   .count()});
        }
        return out;
      },
      [st](jobs_atom) {
        std::vector<job_info> out;
        for (const auto& [id, j] : st->jobs) {
          // A running job's age; an ended one's run time.
          auto seconds = j.ended() ? j.outcome.seconds
                                   : std::chrono::duration<double>(clock::now() - j.since).count();
          out.push_back({id, j.name, j.state, j.parallelism, seconds, j.reason});
        }
        return out;
      },
      [self, st](actors_atom, uint64_t id) {
        auto rp = self->make_response_promise<std::string, std::vector<task_info>>();
        auto [master, error] = master_of(st, id);
        if (!master) {
          rp.deliver(error, std::vector<task_info>{});
          return rp;
        }
        self->request(master, query_timeout, actors_atom::value)
            .then([rp](std::string& e,
                       std::vector<task_info>& infos) mutable { rp.deliver(e, infos); },
                  [rp](caf::error& e) mutable {
                    rp.deliver(to_string(e), std::vector<task_info>{});
                  });
        return rp;
      },
      [self, st](inspect_atom, const std::string& task_id) {
        auto rp = self->make_response_promise<std::string, task_info>();
        uint64_t job = 0;
        uint32_t task = 0;
        if (!parse_task_id(task_id, job, task)) {
          rp.deliver("'" + task_id + "' is not an actor id (JOB.TASK, as `actors JOB` lists them)",
                     task_info{});
          return rp;
        }
        auto [master, error] = master_of(st, job);
        if (!master) {
          rp.deliver(error, task_info{});
          return rp;
        }
        self->request(master, query_timeout, inspect_atom::value, task)
            .then([rp](std::string& e, task_info& info) mutable { rp.deliver(e, info); },
                  [rp](caf::error& e) mutable { rp.deliver(to_string(e), task_info{}); });
        return rp;
      },
  };
}

}  // namespace nagare
