#include "node.hpp"

#include <map>
#include <memory>

#include "job_library.hpp"
#include "log.hpp"
#include "messages.hpp"
#include "task.hpp"

namespace nagare {

namespace {

struct node_state {
  node_options opts;
  std::map<std::string, job_definition> libraries;  // by path; never unloaded
  struct job_entry {
    std::shared_ptr<const detail::graph> graph;
    std::shared_ptr<const physical_plan> plan;
    size_t live_tasks = 0;
  };
  std::map<uint64_t, job_entry> jobs;
  std::map<caf::actor_addr, uint64_t> tasks;  // live task -> job
};

// The job's graph and plan as this node builds them; an error if the job
// cannot be loaded or its graph differs from the submitted plan.
result<node_state::job_entry> prepare_job(node_state& st, const deploy_request& req) {
  auto known = st.jobs.find(req.job_id);
  if (known != st.jobs.end()) return known->second;
  auto lib = st.libraries.find(req.job.library_path);
  if (lib == st.libraries.end()) {
    auto loaded = load_job_library(req.job.library_path);
    if (!loaded.ok()) return loaded.error();
    lib = st.libraries.emplace(req.job.library_path, loaded.value()).first;
  }
  auto g = build_graph(lib->second, req.job.args);
  if (!g.ok()) return g.error();
  auto submitted = decode_plan(req.job.plan);
  if (!submitted.ok()) return submitted.error();
  auto mine = make_plan(g.value(), req.job.name, {req.job.parallelism, req.job.max_parallelism});
  if (!mine.ok()) return mine.error();
  if (mine->fingerprint != submitted->fingerprint)
    return status(errc::library_error,
                  "the job's graph on node differs from the submitted plan (does the job's main "
                  "depend on more than "
                  "its arguments?)");
  node_state::job_entry e{std::make_shared<const detail::graph>(std::move(g.value())),
                          std::make_shared<const physical_plan>(std::move(submitted.value()))};
  st.jobs.emplace(req.job_id, e);
  return e;
}

}  // namespace

caf::behavior node_actor(caf::event_based_actor* self, caf::actor coordinator, node_options opts) {
  auto st = std::make_shared<node_state>();
  st->opts = std::move(opts);
  // Tasks are linked to their node: when the node goes, its tasks go. Their own
  // exits are the job master's business, not the node's.
  self->set_exit_handler([self, st](caf::exit_msg& m) {
    auto t = st->tasks.find(m.source);
    if (t == st->tasks.end()) return self->quit(m.reason);
    auto j = st->jobs.find(t->second);
    st->tasks.erase(t);
    if (j != st->jobs.end() && --j->second.live_tasks == 0)
      st->jobs.erase(j);  // the job's graph is no longer needed
  });
  self->request(coordinator, std::chrono::seconds(30), register_atom::value,
                caf::actor_cast<caf::actor>(self), st->opts.slots, st->opts.name)
      .then(
          [st](uint32_t id) {
            NAGARE_LOG(info, "node " + st->opts.name) << "registered as node " << id;
          },
          [self](caf::error& e) {
            NAGARE_LOG(error, "node") << "cannot register with the coordinator: " << to_string(e);
            self->quit(e);
          });
  self->attach_functor([st](const caf::error&) {
    st->jobs.clear();
    st->tasks.clear();
  });
  return {
      [self, st](deploy_atom,
                 deploy_request& req) -> std::tuple<std::string, std::vector<caf::actor>> {
        auto job = prepare_job(*st, req);
        if (!job.ok()) return {job.error().message(), {}};
        std::vector<caf::actor> tasks;
        for (const auto& t : req.tasks) {
          task_setup setup;
          setup.job_id = req.job_id;
          setup.task_index = job->plan->task_index(t.vertex, t.subtask);
          setup.vertex = t.vertex;
          setup.subtask = t.subtask;
          setup.graph = job->graph;
          setup.plan = job->plan;
          setup.chain.batch_records = req.job.batch_records;
          setup.master = req.master;
          setup.channel_credit = req.job.channel_credit;
          setup.linger_ms = req.job.linger_ms;
          setup.input_gates = job->plan->input_gates(t.vertex);
          auto task = self->spawn<task_actor, caf::linked>(std::move(setup));
          st->tasks.emplace(task.address(), req.job_id);
          tasks.push_back(std::move(task));
        }
        st->jobs[req.job_id].live_tasks += tasks.size();
        NAGARE_LOG(info, "node " + st->opts.name)
            << "deployed " << tasks.size() << " tasks of job " << req.job_id;
        return {std::string{}, std::move(tasks)};
      },
  };
}

}  // namespace nagare
