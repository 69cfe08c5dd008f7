// What the client commands (submit, list, cancel, wait, savepoint, stop)
// share: their --coordinator and --help options, the JOB_ID positional and
// an actor system connected to the coordinator for the length of one command.
#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common.hpp"
#include "shutdown_watchdog.hpp"
#include "tls_options.hpp"

namespace nagare::cli {

// How long a quick request (submit, list, cancel) may take.
inline constexpr auto request_timeout = std::chrono::seconds(60);

// "usage: USAGE_LINE", --help, --coordinator (stored into `coordinator`) and
// the TLS options (into `tls`; none given: default_client_tls).
po::options_description client_options(const std::string& usage_line, std::string& coordinator,
                                       tls_files& tls);

// Parses the JOB_ID positional (stored as "job-id") into `id`; the one-line
// usage error when it is missing or not a number.
std::optional<int> job_id_of(const po::variables_map& vm, const std::string& command, uint64_t& id);

// "the coordinator did not answer: ..." for a failed request.
std::string rpc_error(const caf::error& e, caf::scoped_actor& self);

// The TLS files of a client of the coordinator at `where`: those given, or
// the defaults; checked (a usage error otherwise).
std::optional<int> client_tls(const std::string& where, tls_files& tls);

// A client's actor system, connected to the coordinator at `where` (over TLS
// with `tls`, see client_tls): runs `body(scoped_actor&, const caf::actor&
// coordinator)`, shuts down and returns what body returned (or `failed` with
// a one-line error when the coordinator is unreachable).
template <class Body>
int with_coordinator(const std::string& where, tls_files tls, Body&& body) {
  if (auto bad = client_tls(where, tls)) return *bad;
  shutdown_watchdog watchdog;
  caf::actor_system_config cfg;
  configure_process(cfg, 1, {}, tls);
  caf::actor_system sys{cfg};
  int code;
  {
    auto coordinator = connect_coordinator(sys, where);
    if (!coordinator.ok()) {
      code = fail(failed, coordinator.error().message());
    } else {
      caf::scoped_actor self{sys};
      code = body(self, coordinator.value());
    }
  }
  watchdog.arm(std::chrono::seconds(10));
  return code;
}

}  // namespace nagare::cli
