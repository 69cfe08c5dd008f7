// nagare coordinator --listen HOST:PORT --data-dir DIR [--config FILE]
#include "common.hpp"
#include "coordinator.hpp"
#include "log.hpp"
#include "shutdown_watchdog.hpp"

namespace nagare::cli {

int coordinator_command(const std::vector<std::string>& args) {
  std::string listen, data_dir, level;
  uint32_t threads = 0, handshake_s = 10;
  po::options_description visible("usage: nagare coordinator --data-dir DIR [OPTIONS]\n\noptions");
  visible.add_options()             //
      ("help,h", "show this help")  //
      ("config", po::value<std::string>(),
       "read options from this INI file (the command line wins)")  //
      ("listen", po::value(&listen)->default_value(default_coordinator),
       "HOST:PORT to accept nodes and clients on")(
          "data-dir", po::value(&data_dir),
          "where the coordinator keeps its metadata (LevelDB)")                                  //
      ("threads", po::value(&threads)->default_value(0), "scheduler threads (0: one per core)")  //
      ("handshake-timeout", po::value(&handshake_s)->default_value(10),
       "seconds an accepted connection may take to complete its handshake")  //
      ("log-level", po::value(&level)->default_value("info"), "debug, info, warning or error");
  po::variables_map vm;
  if (auto done = parse_command("coordinator", args, visible, {}, {}, vm)) return *done;
  if (auto bad = apply_log_level(level)) return *bad;
  if (handshake_s < 1 || handshake_s > 3600)
    return fail(usage, "--handshake-timeout must be between 1 and 3600 seconds");
  if (data_dir.empty())
    return fail(usage, "missing --data-dir DIR (see nagare coordinator --help)");
  auto where = parse_address(listen);
  if (!where.ok()) return fail(usage, "--listen " + where.error().message());
  auto store = metadata_store::open(data_dir);
  if (!store.ok()) return fail(failed, store.error().message());
  auto checkpoints = checkpoint_store::open(data_dir + "/checkpoints");
  if (!checkpoints.ok()) return fail(failed, checkpoints.error().message());

  // SIGINT/SIGTERM become an orderly stop; CAF's threads inherit the mask.
  block_termination_signals();
  shutdown_watchdog watchdog;
  caf::actor_system_config cfg;
  wire_limits limits;
  limits.handshake_timeout = std::chrono::seconds(handshake_s);
  configure_process(cfg, threads, limits);
  caf::actor_system sys{cfg};
  auto coordinator =
      sys.spawn(coordinator_actor,
                coordinator_options{std::move(store.value()), std::move(checkpoints.value())});
  // reuse: a restarted coordinator takes its port back while old connections
  // linger in TIME_WAIT (a port another process listens on is still refused).
  auto port = sys.middleman().publish(coordinator, where->port, where->host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
    watchdog.arm(std::chrono::seconds(10));
    return fail(failed, "cannot listen on " + listen + ": " + sys.render(port.error()));
  }
  NAGARE_LOG(info, "coordinator") << "listening on " << listen << ", metadata in " << data_dir;
  auto sig = wait_for_signal_or_exit(sys, coordinator);
  NAGARE_LOG(info, "coordinator") << (sig ? "stopping on signal " + std::to_string(sig)
                                          : "stopped");
  watchdog.arm(std::chrono::seconds(10));
  return sig ? ok : failed;
}

}  // namespace nagare::cli
