// What the shell asks of a job's tasks: `actors JOB` and `inspect JOB.TASK`,
// and `kill JOB.TASK` (fault injection).
#include <chrono>

#include "job_master_state.hpp"

namespace nagare {

task_info describe_task(const master_state& st, uint32_t index) {
  const auto& ref = st.task_refs[index];
  const auto& v = st.setup.plan.vertices[ref.vertex];
  task_info info;
  info.id = std::to_string(st.setup.job_id) + "." + std::to_string(index);
  info.chain = v.name;
  info.subtask = ref.subtask;
  info.parallelism = v.parallelism;
  const auto& names = st.setup.slots.names;
  info.node = names.size() > ref.subtask ? names[ref.subtask] : "";
  bool deployed = index < st.tasks.size() && st.tasks[index];
  bool finished = index < st.finished.size() && st.finished[index];
  info.state = finished                                    ? task_state::finished
               : st.now == master_state::phase::restarting ? task_state::restarting
               : deployed                                  ? task_state::unreachable
                                                           : task_state::created;
  if (finished) info.stats = st.final_stats[index];
  return info;
}

void query_tasks(caf::event_based_actor* self, const master_ptr& st, std::vector<uint32_t> indices,
                 std::function<void(std::vector<task_info>&)> deliver) {
  struct collection {
    std::vector<task_info> infos;
    size_t pending;
    std::function<void(std::vector<task_info>&)> deliver;
  };
  auto c = std::make_shared<collection>();
  c->pending = indices.size();
  c->deliver = std::move(deliver);
  for (auto i : indices) c->infos.push_back(describe_task(*st, i));
  if (indices.empty()) return c->deliver(c->infos);
  for (size_t k = 0; k < indices.size(); ++k) {
    auto done = [c] {
      if (--c->pending == 0) c->deliver(c->infos);
    };
    // No answer: describe it as the master knows it now (it may have finished meanwhile).
    auto unanswered = [c, k, st, index = indices[k], done](caf::error&) {
      c->infos[k] = describe_task(*st, index);
      done();
    };
    auto i = indices[k];
    if (i >= st->tasks.size() || !st->tasks[i] || st->finished[i]) {
      done();
      continue;
    }
    self->request(st->tasks[i], std::chrono::seconds(2), status_atom::value)
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

caf::typed_response_promise<status, std::vector<task_info>> on_actors(caf::event_based_actor* self,
                                                                      const master_ptr& st) {
  auto rp = self->make_response_promise<status, std::vector<task_info>>();
  std::vector<uint32_t> all(st->task_refs.size());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  query_tasks(self, st, all,
              [rp](std::vector<task_info>& infos) mutable { rp.deliver(status{}, infos); });
  return rp;
}

caf::typed_response_promise<status, task_info> on_inspect(caf::event_based_actor* self,
                                                          const master_ptr& st, uint32_t task) {
  auto rp = self->make_response_promise<status, task_info>();
  if (task >= st->task_refs.size()) {
    rp.deliver(status::not_found("job " + std::to_string(st->setup.job_id) + " has no task " +
                                 std::to_string(task)),
               task_info{});
    return rp;
  }
  query_tasks(self, st, {task},
              [rp](std::vector<task_info>& infos) mutable { rp.deliver(status{}, infos[0]); });
  return rp;
}

status on_kill(caf::event_based_actor* self, const master_ptr& st, uint32_t task) {
  if (task >= st->tasks.size())
    return status::not_found("job " + std::to_string(st->setup.job_id) + " has no task " +
                             std::to_string(task));
  if (!st->tasks[task])
    return status::not_found("task " + std::to_string(st->setup.job_id) + "." +
                             std::to_string(task) + " is not running");
  // As if it crashed: an exit reason its node does not take for a shutdown.
  self->send_exit(st->tasks[task], caf::exit_reason::unhandled_exception);
  return {};
}

}  // namespace nagare
