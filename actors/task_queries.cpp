// What the shell asks of a job's tasks: `actors JOB` and `inspect JOB.TASK`.
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
  info.state = finished                                    ? "FINISHED"
               : st.now == master_state::phase::restarting ? "RESTARTING"
               : deployed                                  ? "UNREACHABLE"
                                                           : "CREATED";
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

}  // namespace nagare
