// nagare node --coordinator HOST:PORT --slots N --data-dir DIR [--listen HOST:PORT]
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <filesystem>

#include "common.hpp"
#include "log.hpp"
#include "node.hpp"
#include "shutdown_watchdog.hpp"
#include "tls_options.hpp"
#include "web/metrics_endpoint.hpp"

namespace nagare::cli {

int node_command(const std::vector<std::string>& args) {
  std::string coordinator_at, listen, advertise, data_dir, name, level, metrics_listen;
  uint32_t slots = 0, threads = 0, reconnect_s = 60, handshake_s = 10;
  po::options_description visible("usage: nagare node --data-dir DIR [OPTIONS]\n\noptions");
  visible.add_options()             //
      ("help,h", "show this help")  //
      ("config", po::value<std::string>(),
       "read options from this INI file (the command line wins)")  //
      ("coordinator", po::value(&coordinator_at)->default_value(default_coordinator),
       "the coordinator's HOST:PORT")(
          "listen", po::value(&listen)->default_value("127.0.0.1:0"),
          "HOST:PORT other nodes send records to (port 0: any free port)")  //
      ("advertise", po::value(&advertise),
       "HOST:PORT peers reach this node at (needed with a wildcard --listen such as "
       "0.0.0.0:PORT)")                                                                          //
      ("slots", po::value(&slots)->default_value(2), "task slots this node offers")              //
      ("data-dir", po::value(&data_dir), "where the node caches job libraries")                  //
      ("name", po::value(&name), "the node's name (default: its listen address)")                //
      ("threads", po::value(&threads)->default_value(0), "scheduler threads (0: one per core)")  //
      ("handshake-timeout", po::value(&handshake_s)->default_value(10),
       "seconds an accepted connection may take to complete its handshake")  //
      ("reconnect-timeout", po::value(&reconnect_s)->default_value(60),
       "seconds to keep reconnecting after losing the coordinator (0: exit at once)")  //
      ("metrics-listen", po::value(&metrics_listen)->default_value("127.0.0.1:0"),
       "HOST:PORT of the Prometheus endpoint (GET /metrics; port 0: any free port, which the "
       "coordinator lists; off: none)")  //
      ("log-level", po::value(&level)->default_value("info"), "debug, info, warning or error");
  tls_files tls;
  add_tls_options(visible, tls);
  po::variables_map vm;
  if (auto done = parse_command("node", args, visible, {}, {}, vm)) return *done;
  if (auto bad = apply_log_level(level)) return *bad;
  if (handshake_s < 1 || handshake_s > 3600)
    return fail(usage, "--handshake-timeout must be between 1 and 3600 seconds");
  if (data_dir.empty()) return fail(usage, "missing --data-dir DIR (see nagare node --help)");
  if (slots < 1 || slots > 1024) return fail(usage, "--slots must be between 1 and 1024");
  auto where = parse_address(listen, true);
  if (!where.ok()) return fail(usage, "--listen " + where.error().message());
  // Peers connect to the address a node advertises: a wildcard is none.
  const bool wildcard = where->host == "0.0.0.0" || where->host == "::" || where->host == "[::]";
  if (wildcard && advertise.empty())
    return fail(usage, "--listen " + listen +
                           " accepts on every interface: name the address peers reach this node "
                           "at with --advertise HOST:PORT");
  if (!advertise.empty()) {
    auto a = parse_address(advertise);
    if (!a.ok()) return fail(usage, "--advertise " + a.error().message());
    if (a->host == "0.0.0.0" || a->host == "::" || a->host == "[::]")
      return fail(usage, "--advertise " + advertise + " is a wildcard: name a reachable address");
  }
  if (auto bad =
          check_tls(tls, "node", {listen, advertise.empty() ? listen : advertise, coordinator_at}))
    return *bad;
  std::error_code ec;
  std::filesystem::create_directories(data_dir + "/libraries", ec);
  if (ec) return fail(failed, "cannot create data directory '" + data_dir + "': " + ec.message());

  // SIGINT/SIGTERM become an orderly stop; CAF's threads inherit the mask.
  block_termination_signals();
  shutdown_watchdog watchdog;
  caf::actor_system_config cfg;
  wire_limits limits;
  limits.handshake_timeout = std::chrono::seconds(handshake_s);
  configure_process(cfg, threads, limits, tls);
  caf::actor_system sys{cfg};
  auto port = sys.middleman().open(where->port, where->host.c_str(),
                                   true);  // reuse: see coordinator_command
  if (!port) return fail(failed, "cannot listen on " + listen + ": " + sys.render(port.error()));
  auto address = advertise.empty() ? where->host + ":" + std::to_string(*port) : advertise;
  auto coordinator = connect_coordinator(sys, coordinator_at);
  if (!coordinator.ok()) return fail(failed, coordinator.error().message());

  node_options opts;
  opts.name = name.empty() ? address : name;
  opts.address = address;
  opts.data_dir = data_dir;
  opts.slots = slots;
  auto exporter = start_metrics_endpoint(metrics_listen, {{"node", opts.name}});
  if (!exporter.ok()) return fail(failed, "--metrics-listen " + exporter.error().message());
  opts.metrics = exporter->registry;
  opts.metrics_address = exporter->address();
  NAGARE_LOG(info, "node " + opts.name)
      << "listening on " << address << ", " << slots << " slots, coordinator " << coordinator_at;
  log_transport(tls);
  // A node outlives its coordinator: when the coordinator is lost (its tasks
  // with it), the node connects again as soon as a coordinator answers at the
  // same address (a restarted one resumes its jobs), for up to
  // --reconnect-timeout seconds.
  // The signal thread outlives the process's actor system (detached, blocked in sigwait).
  signal_watch* signals = process_signals();
  for (;;) {
    auto node = sys.spawn(node_actor, coordinator.value(), opts);
    signals->watch(node);
    wait_for_exit(sys, node);
    if (int sig = signals->received()) {
      watchdog.arm(std::chrono::seconds(10));
      NAGARE_LOG(info, "node " + opts.name) << "stopping on signal " << sig;
      return ok;
    }
    if (reconnect_s == 0) break;
    NAGARE_LOG(warning, "node " + opts.name) << "lost the coordinator at " << coordinator_at
                                             << "; reconnecting for up to " << reconnect_s << " s";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(reconnect_s);
    coordinator = status(errc::not_found, "not connected");
    while (!coordinator.ok() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      if (int s = signals->received()) {
        watchdog.arm(std::chrono::seconds(10));
        NAGARE_LOG(info, "node " + opts.name) << "stopping on signal " << s;
        return ok;
      }
      coordinator = connect_coordinator(sys, coordinator_at);
    }
    if (!coordinator.ok()) break;
    NAGARE_LOG(info, "node " + opts.name) << "reconnected to the coordinator at " << coordinator_at;
  }
  watchdog.arm(std::chrono::seconds(10));
  return fail(failed, "node " + opts.name + " stopped: lost the coordinator at " + coordinator_at);
}

}  // namespace nagare::cli
