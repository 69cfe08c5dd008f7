// The coordinator's web endpoint (--web-listen, 127.0.0.1:8081 by default):
// the REST API under /v1 (docs/operations.md, "REST API"), the dashboard at /
// and the process's Prometheus metrics at /metrics.
//
// Without TLS, reads are open to whoever reaches the address, and actions
// (cancel, stop, checkpoint, savepoint) are refused with 403 unless the
// endpoint listens on a loopback address only. With TLS (the coordinator's
// --tls-* files) it serves HTTPS to clients with a certificate of the
// cluster's CA, and an action needs the operator or submitter role, as on
// the actor protocol (authz.hpp); each is logged with who asked.
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
                                                        const std::string& listen,
                                                        const tls_files& tls = {});
  ~coordinator_web();

  const std::string& address() const { return http_.address(); }
  bool secure() const { return http_.secure(); }
  // Whether some client may act (with TLS: one whose role allows it).
  bool actions_allowed() const { return http_.secure() || http_.loopback(); }

 private:
  coordinator_web(caf::actor_system& sys, caf::actor coordinator,
                  std::shared_ptr<metric_registry> metrics, const tls_files& tls);
  // Why `req` may not do `what` ("" : it may), with the audit line.
  std::string refusal(const http_request& req, const std::string& what) const;
  void add_routes(std::shared_ptr<metric_registry> metrics);

  caf::actor_system& sys_;
  caf::actor coordinator_;
  double started_unix_s_;
  job_history history_;
  http_endpoint http_;
};

}  // namespace nagare::cli::web
