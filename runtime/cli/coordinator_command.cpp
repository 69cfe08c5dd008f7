// nagare coordinator --listen HOST:PORT --data-dir DIR [--recover-metadata] [--config FILE]
#include <filesystem>

#include "common.hpp"
#include "coordinator.hpp"
#include "log.hpp"
#include "metadata_recovery.hpp"
#include "net/guarded_multiplexer.hpp"
#include "shutdown_watchdog.hpp"
#include "tls_options.hpp"
#include "web/coordinator_web.hpp"
#include "web/metrics_endpoint.hpp"

namespace nagare::cli {

int coordinator_command(const std::vector<std::string>& args) {
  std::string listen, data_dir, level, web_listen;
  uint32_t threads = 0, handshake_s = 10;
  bool recover = false;
  po::options_description visible("usage: nagare coordinator --data-dir DIR [OPTIONS]\n\noptions");
  visible.add_options()             //
      ("help,h", "show this help")  //
      ("config", po::value<std::string>(),
       "read options from this INI file (the command line wins)")  //
      ("listen", po::value(&listen)->default_value(default_coordinator),
       "HOST:PORT to accept nodes and clients on")(
          "data-dir", po::value(&data_dir),
          "where the coordinator keeps its metadata (LevelDB)")  //
      ("recover-metadata", po::bool_switch(&recover),
       "if the metadata is damaged, move it aside and start from what can still be read; "
       "rebuild jobs the checkpoint store knows (see docs/operations.md)")                       //
      ("threads", po::value(&threads)->default_value(0), "scheduler threads (0: one per core)")  //
      ("handshake-timeout", po::value(&handshake_s)->default_value(10),
       "seconds an accepted connection may take to complete its handshake")  //
      ("web-listen", po::value(&web_listen)->default_value(default_web_listen),
       "HOST:PORT of the dashboard, the REST API and /metrics (off: none; HTTPS with --tls-*, "
       "where actions such as cancel need the operator role; without TLS, actions are "
       "allowed only on a loopback address)")  //
      ("log-level", po::value(&level)->default_value("info"), "debug, info, warning or error");
  tls_files tls;
  add_tls_options(visible, tls);
  po::variables_map vm;
  if (auto done = parse_command("coordinator", args, visible, {}, {}, vm)) return *done;
  if (auto bad = apply_log_level(level)) return *bad;
  if (auto bad = check_tls(tls, "coordinator", {listen})) return *bad;
  if (handshake_s < 1 || handshake_s > 3600)
    return fail(usage, "--handshake-timeout must be between 1 and 3600 seconds");
  if (data_dir.empty())
    return fail(usage, "missing --data-dir DIR (see nagare coordinator --help)");
  auto where = parse_address(listen);
  if (!where.ok()) return fail(usage, "--listen " + where.error().message());
  std::error_code ec;
  std::filesystem::create_directory(data_dir, ec);
  if (ec) return fail(failed, "cannot create data directory '" + data_dir + "': " + ec.message());
  auto checkpoints = checkpoint_store::open(data_dir + "/checkpoints");
  if (!checkpoints.ok()) return fail(failed, checkpoints.error().message());
  auto ids = std::make_shared<job_id_mark>(job_id_mark::file_of(data_dir));
  // Damaged metadata stops here (coordinator_books.hpp), unless --recover-metadata.
  auto metadata = open_metadata(data_dir, *checkpoints.value(), *ids, recover);
  if (!metadata.ok()) return fail(failed, metadata.error().message());
  for (const auto& line : metadata->report)
    NAGARE_LOG(warning, "coordinator") << "--recover-metadata: " << line;
  for (const auto& note : metadata->books.notes) NAGARE_LOG(info, "coordinator") << note;

  // SIGINT/SIGTERM become an orderly stop; CAF's threads inherit the mask.
  block_termination_signals();
  shutdown_watchdog watchdog;
  caf::actor_system_config cfg;
  wire_limits limits;
  limits.handshake_timeout = std::chrono::seconds(handshake_s);
  configure_process(cfg, threads, limits, tls);
  caf::actor_system sys{cfg};
  auto coordinator =
      sys.spawn(coordinator_actor,
                coordinator_options{std::move(metadata->store), std::move(checkpoints.value()),
                                    std::move(metadata->books.records), metadata->books.next_job_id,
                                    std::move(ids)});
  // reuse: a restarted coordinator takes its port back while old connections
  // linger in TIME_WAIT (a port another process listens on is still refused).
  // Clients may address the coordinator and nothing else (guarded_scribe).
  if (auto* mx = dynamic_cast<guarded_multiplexer*>(&sys.middleman().backend()))
    mx->allow_client_address(coordinator.id());
  auto port = sys.middleman().publish(coordinator, where->port, where->host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
    watchdog.arm(std::chrono::seconds(10));
    return fail(failed, "cannot listen on " + listen + ": " + sys.render(port.error()));
  }
  NAGARE_LOG(info, "coordinator") << "listening on " << listen << ", metadata in " << data_dir;
  log_transport(tls);
  auto metrics = start_metrics_endpoint("off", {{"role", "coordinator"}});
  std::unique_ptr<web::coordinator_web> web;
  if (web_listen != "off") {
    auto started =
        web::coordinator_web::start(sys, coordinator, metrics->registry, web_listen, tls);
    if (started.ok()) {
      web = std::move(started.value());
      NAGARE_LOG(info, "coordinator")
          << "dashboard and REST API at " << (web->secure() ? "https://" : "http://")
          << web->address() << "/"
          << (web->secure()            ? " (client certificates of the CA; actions by role)"
              : web->actions_allowed() ? ""
                                       : " (read-only: not loopback)");
    } else if (vm["web-listen"].defaulted()) {
      // The default port may be taken (another coordinator on this machine):
      // the coordinator runs on without a web endpoint.
      NAGARE_LOG(warning, "coordinator") << "no dashboard: " << started.error().message()
                                         << " (choose an address with --web-listen)";
    } else {
      caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
      watchdog.arm(std::chrono::seconds(10));
      return fail(failed, "--web-listen " + started.error().message());
    }
  }
  auto sig = wait_for_signal_or_exit(sys, coordinator);
  web.reset();  // before the actor system: its handlers ask the coordinator
  NAGARE_LOG(info, "coordinator") << (sig ? "stopping on signal " + std::to_string(sig)
                                          : "stopped");
  watchdog.arm(std::chrono::seconds(10));
  return sig ? ok : failed;
}

}  // namespace nagare::cli
