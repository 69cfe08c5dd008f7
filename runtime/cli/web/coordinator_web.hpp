// The coordinator's web endpoint (--web-listen, 127.0.0.1:8081 by default):
// the REST API under /v1 (docs/operations.md, "REST API"), the dashboard at /
// and the process's Prometheus metrics at /metrics.
//
// Reads are open to whoever reaches the address. Actions (cancel, stop,
// checkpoint, savepoint) are refused with 403 unless the endpoint listens on
// a loopback address only: until requests are authenticated, only this
// machine's users may act.
//
// Handlers run on the HTTP library's threads and ask the coordinator actor
// with blocking requests (shell::coordinator_client), each with a timeout.
#pragma once

#include <memory>
#include <string>

#include <caf/all.hpp>

#include "job_history.hpp"
#include "metrics/metric_registry.hpp"
#include "nagare/status.hpp"
#include "web/http_endpoint.hpp"

namespace nagare::cli::web {

class coordinator_web {
 public:
  // Starts serving at `listen` (HOST:PORT) and sampling the jobs for their
  // history. REQUIRES: `sys` outlives the result; stop it before the
  // coordinator's actor system shuts down (the destructor does).
  static result<std::unique_ptr<coordinator_web>> start(caf::actor_system& sys,
                                                        caf::actor coordinator,
                                                        std::shared_ptr<metric_registry> metrics,
                                                        const std::string& listen);
  ~coordinator_web();

  const std::string& address() const { return http_.address(); }
  bool actions_allowed() const { return http_.loopback(); }

 private:
  coordinator_web(caf::actor_system& sys, caf::actor coordinator,
                  std::shared_ptr<metric_registry> metrics);
  void add_routes(std::shared_ptr<metric_registry> metrics);

  caf::actor_system& sys_;
  caf::actor coordinator_;
  double started_unix_s_;
  job_history history_;
  http_endpoint http_;
};

}  // namespace nagare::cli::web
