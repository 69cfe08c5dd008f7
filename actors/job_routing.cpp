// Requests about a job that the coordinator forwards to the job's master
// (the shell's and the CLI's: actors, inspect, checkpoints, savepoints,
// stop, kill, cancel, restarts), answering at once when there is no master
// to ask; and the list of savepoints, which the checkpoint store answers.
#include <chrono>

#include "coordinator_state.hpp"

namespace nagare {

namespace {

constexpr auto query_timeout = std::chrono::seconds(5);
// A checkpoint or savepoint may take as long as the job's checkpoint timeout.
constexpr auto long_timeout = std::chrono::minutes(10);

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

status not_an_actor_id(const std::string& text) {
  return status::invalid_argument("'" + text +
                                  "' is not an actor id (JOB.TASK, as `actors JOB` lists them)");
}

// Forwards a request to the master of job `id`; the reply is (status, T...).
template <class... Reply, class Timeout, class... Ts>
caf::typed_response_promise<status, Reply...> forward(coordinator_self self,
                                                      const coordinator_ptr& st, uint64_t id,
                                                      Timeout timeout, Ts... xs) {
  auto rp = self->make_response_promise<status, Reply...>();
  auto [master, error] = master_of(*st, id);
  if (!master) {
    rp.deliver(error, Reply{}...);
    return rp;
  }
  self->request(master, timeout, xs...)
      .then([rp](status& e, Reply&... r) mutable { rp.deliver(std::move(e), std::move(r)...); },
            [rp](caf::error& e) mutable { rp.deliver(status_of(e), Reply{}...); });
  return rp;
}

// Answered by the coordinator for an ended job (what its master reported
// last), by the master for a running one.
template <class T, class Atom>
caf::typed_response_promise<status, std::vector<T>> kept_or_forward(
    coordinator_self self, const coordinator_ptr& st, uint64_t id, Atom atom,
    std::vector<T> coordinator_state::job_entry::*kept) {
  auto j = st->jobs.find(id);
  if (j != st->jobs.end() && j->second.ended()) {
    auto rp = self->make_response_promise<status, std::vector<T>>();
    rp.deliver(status{}, j->second.*kept);
    return rp;
  }
  return forward<std::vector<T>>(self, st, id, long_timeout, atom);
}

}  // namespace

caf::typed_response_promise<status, std::vector<checkpoint_record>> on_savepoints(
    coordinator_self self, const coordinator_ptr& st) {
  auto rp = self->make_response_promise<status, std::vector<checkpoint_record>>();
  self->request(st->checkpoints, query_timeout, load_atom::value, savepoint_atom::value)
      .then([rp](status& e, std::vector<checkpoint_record>& r) mutable { rp.deliver(e, r); },
            [rp](caf::error& e) mutable {
              rp.deliver(status_of(e), std::vector<checkpoint_record>{});
            });
  return rp;
}

caf::typed_response_promise<status, std::vector<checkpoint_info>> on_checkpoints(
    coordinator_self self, const coordinator_ptr& st, uint64_t id) {
  return kept_or_forward(self, st, id, checkpoints_atom::value,
                         &coordinator_state::job_entry::checkpoints);
}

caf::typed_response_promise<status, checkpoint_info> on_checkpoint(coordinator_self self,
                                                                   const coordinator_ptr& st,
                                                                   uint64_t id) {
  return forward<checkpoint_info>(self, st, id, long_timeout, checkpoint_atom::value);
}

caf::typed_response_promise<status, std::string> on_savepoint(coordinator_self self,
                                                              const coordinator_ptr& st,
                                                              uint64_t id) {
  return forward<std::string>(self, st, id, long_timeout, savepoint_atom::value);
}

caf::typed_response_promise<status, std::string> on_stop(coordinator_self self,
                                                         const coordinator_ptr& st, uint64_t id,
                                                         uint8_t mode) {
  return forward<std::string>(self, st, id, long_timeout, stop_atom::value, mode);
}

caf::typed_response_promise<status, std::vector<restart_info>> on_restarts(
    coordinator_self self, const coordinator_ptr& st, uint64_t id) {
  return kept_or_forward(self, st, id, restarts_atom::value,
                         &coordinator_state::job_entry::restarts);
}

caf::typed_response_promise<status> on_kill(coordinator_self self, const coordinator_ptr& st,
                                            const std::string& task_id) {
  uint64_t job = 0;
  uint32_t task = 0;
  if (!parse_task_id(task_id, job, task)) {
    auto rp = self->make_response_promise<status>();
    rp.deliver(not_an_actor_id(task_id));
    return rp;
  }
  return forward<>(self, st, job, query_timeout, kill_atom::value, task);
}

caf::typed_response_promise<status> on_cancel(coordinator_self self, const coordinator_ptr& st,
                                              uint64_t id) {
  return forward<>(self, st, id, query_timeout, cancel_atom::value);
}

caf::typed_response_promise<status, std::vector<task_info>> on_actors(coordinator_self self,
                                                                      const coordinator_ptr& st,
                                                                      uint64_t id) {
  return forward<std::vector<task_info>>(self, st, id, query_timeout, actors_atom::value);
}

caf::typed_response_promise<status, task_info> on_inspect(coordinator_self self,
                                                          const coordinator_ptr& st,
                                                          const std::string& task_id) {
  uint64_t job = 0;
  uint32_t task = 0;
  if (!parse_task_id(task_id, job, task)) {
    auto rp = self->make_response_promise<status, task_info>();
    rp.deliver(not_an_actor_id(task_id), task_info{});
    return rp;
  }
  return forward<task_info>(self, st, job, query_timeout, inspect_atom::value, task);
}

}  // namespace nagare
