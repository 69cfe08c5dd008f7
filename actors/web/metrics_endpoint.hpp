// A process's metrics and the endpoint that exports them: a registry with
// the process's own group (process_*) and its refresher, and GET /metrics
// in Prometheus's text format on an http_endpoint.
#pragma once

#include <memory>
#include <string>

#include "metrics/metric_registry.hpp"
#include "nagare/status.hpp"
#include "web/http_endpoint.hpp"

namespace nagare {

// Adds GET /metrics to `http`: every live group of `registry`, refreshed
// first. REQUIRES: before http.start().
void serve_metrics(http_endpoint& http, std::shared_ptr<metric_registry> registry);

struct metrics_exporter {
  std::shared_ptr<metric_registry> registry;
  std::shared_ptr<metric_group> process;  // process_* (kept alive here)
  std::unique_ptr<http_endpoint> http;    // null when exporting is off
  std::string address() const { return http ? http->address() : ""; }
};

// A registry labelled `common` whose groups refresh every second, exported
// at `listen` (HOST:PORT) or, for "off", not exported (the registry still
// collects, for the REST API). An error says why it cannot listen.
result<metrics_exporter> start_metrics_endpoint(const std::string& listen,
                                                metric_group::labels common);

}  // namespace nagare
