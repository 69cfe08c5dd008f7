#include "web/metrics_endpoint.hpp"

#include "metrics/process_metrics.hpp"
#include "metrics/prometheus_text.hpp"

namespace nagare {

void serve_metrics(http_endpoint& http, std::shared_ptr<metric_registry> registry) {
  http.get("/metrics", [registry](const http_request&) {
    registry->refresh();
    http_response r;
    r.content_type = prometheus_content_type;
    r.body = prometheus_text(registry->groups());
    return r;
  });
}

result<metrics_exporter> start_metrics_endpoint(const std::string& listen,
                                                metric_group::labels common) {
  metrics_exporter e;
  e.registry = std::make_shared<metric_registry>(std::move(common));
  e.process = register_process_metrics(*e.registry);
  e.registry->start_refresher();
  if (listen == "off") return e;
  e.http = std::make_unique<http_endpoint>();
  serve_metrics(*e.http, e.registry);
  if (auto st = e.http->start(listen); !st.ok()) return st;
  return e;
}

}  // namespace nagare
