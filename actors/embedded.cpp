#include "embedded.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "coordinator.hpp"
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

}  // namespace

result<job_outcome> run_embedded(const job_definition& job, const std::vector<std::string>& args,
                                 const run_options& opts) {
  if (opts.nodes == 0) return status::invalid_argument("need at least one node");
  if (opts.job.batch_records == 0 || opts.job.channel_credit == 0)
    return status::invalid_argument("batch size and channel credit must be positive");
  auto sub = prepare_submission(job, args, opts.job);
  if (!sub.ok()) return sub.error();
  auto plan = decode_plan(sub->plan);
  auto slots_needed = plan->max_vertex_parallelism();

  shutdown_watchdog watchdog;  // destroyed after the actor system
  scratch_dir cache;           // the nodes' library cache, removed at the end
  if (cache.path.empty()) return status::io_error("cannot create a temporary directory");
  caf::actor_system_config cfg;
  configure(cfg, opts.threads);
  caf::actor_system sys{cfg};
  auto coordinator = sys.spawn(coordinator_actor, coordinator_options{});
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

  result<job_outcome> outcome = status(errc::internal, "job did not run");
  {
    caf::scoped_actor self{sys};
    // Nodes register asynchronously; wait until all have.
    for (uint32_t alive = 0; alive < opts.nodes;) {
      self->request(coordinator, caf::infinite, nodes_atom::value)
          .receive([&](std::vector<node_info>& n) { alive = static_cast<uint32_t>(n.size()); },
                   [&](caf::error&) {});
      if (alive < opts.nodes) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    uint64_t job_id = 0;
    self->request(coordinator, caf::infinite, submit_atom::value, std::move(sub.value()))
        .receive(
            [&](uint64_t id, status& error) {
              if (error.ok())
                job_id = id;
              else
                outcome = std::move(error);
            },
            [&](caf::error& e) {
              outcome = status(errc::internal, "submit failed: " + to_string(e));
            });
    if (job_id != 0) {
      self->request(coordinator, caf::infinite, wait_atom::value, job_id)
          .receive([&](job_outcome& out) { outcome = std::move(out); },
                   [&](caf::error& e) {
                     outcome = status(errc::internal, "wait failed: " + to_string(e));
                   });
    }
  }
  for (auto& n : nodes) caf::anon_send_exit(n, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
  watchdog.arm(std::chrono::seconds(30));
  return outcome;
}

}  // namespace nagare
