#include "coordinator_web.hpp"

#include <sstream>

#include "../shell/coordinator_client.hpp"
#include "authz.hpp"
#include "rest_json.hpp"
#include "web/metrics_endpoint.hpp"
#include "web_assets.hpp"

namespace nagare::cli::web {

namespace {

int http_status_of(const status& st) {
  switch (st.code()) {
    case errc::not_found:
      return 404;
    case errc::invalid_argument:
      return 400;
    case errc::permission_denied:
      return 403;
    case errc::io_error:
    case errc::unavailable:
    case errc::timeout:
      return 503;
    default:
      return 409;  // the job cannot do that now (ended, restarting, ...)
  }
}

http_response json(std::string body) {
  http_response r;
  r.body = std::move(body);
  return r;
}

http_response failure(const status& st) {
  return http_response::error(http_status_of(st), st.message());
}

// The job id in a route's first group (digits only: the pattern says so).
result<uint64_t> job_id_of(const http_request& req) {
  try {
    return static_cast<uint64_t>(std::stoull(req.matches.at(0)));
  } catch (const std::exception&) {
    return status::invalid_argument("'" + req.path + "' names no job id");
  }
}

}  // namespace

coordinator_web::coordinator_web(caf::actor_system& sys, caf::actor coordinator,
                                 std::shared_ptr<metric_registry> metrics, const tls_files& tls)
    : sys_(sys),
      coordinator_(coordinator),
      started_unix_s_(unix_now_s()),
      history_(sys, std::move(coordinator), std::move(metrics)),
      http_(tls) {}

std::string coordinator_web::refusal(const http_request& req, const std::string& what) const {
  if (!http_.secure())
    return actions_allowed() ? std::string()
                             : "actions are allowed only when the web endpoint listens on a "
                               "loopback address (--web-listen 127.0.0.1:PORT) or serves HTTPS";
  peer_identity who;
  who.how = peer_identity::kind::certificate;
  who.name = req.client_name;
  who.subject = req.client_subject;
  who.role = role_of_unit(req.client_unit);
  who.address = req.remote_address;
  auto verdict = decide(who, action::operate, what + " (web)");
  return verdict.ok() ? std::string() : verdict.message();
}

coordinator_web::~coordinator_web() { http_.stop(); }

result<std::unique_ptr<coordinator_web>> coordinator_web::start(
    caf::actor_system& sys, caf::actor coordinator, std::shared_ptr<metric_registry> metrics,
    const std::string& listen, const tls_files& tls) {
  std::unique_ptr<coordinator_web> web(
      new coordinator_web(sys, std::move(coordinator), metrics, tls));
  web->add_routes(std::move(metrics));
  if (auto st = web->http_.start(listen); !st.ok()) return st;
  web->history_.start();
  return web;
}

void coordinator_web::add_routes(std::shared_ptr<metric_registry> metrics) {
  // Each request gets a client of its own (they are not thread-safe).
  auto with_client = [this](auto f) {
    return [this, f](const http_request& req) {
      std::ostringstream notices;
      shell::coordinator_client client(sys_, coordinator_, notices);
      return f(client, req);
    };
  };
  using client_t = shell::coordinator_client;

  serve_metrics(http_, std::move(metrics));

  http_.get(
      "/v1/overview", with_client([this](client_t& c, const http_request&) {
        auto nodes = c.nodes();
        if (!nodes.ok()) return failure(nodes.error());
        auto jobs = c.jobs();
        if (!jobs.ok()) return failure(jobs.error());
        overview_facts facts{NAGARE_VERSION, unix_now_s() - started_unix_s_, actions_allowed()};
        return json(overview_json(facts, nodes.value(), jobs.value()));
      }));
  http_.get("/v1/nodes", with_client([this](client_t& c, const http_request&) {
              auto nodes = c.nodes();
              if (!nodes.ok()) return failure(nodes.error());
              return json(nodes_json(
                  nodes.value(), [this](const std::string& n) { return history_.cpu_ratio(n); }));
            }));
  http_.get("/v1/jobs", with_client([](client_t& c, const http_request&) {
              auto jobs = c.jobs();
              if (!jobs.ok()) return failure(jobs.error());
              return json(jobs_json(jobs.value()));
            }));
  http_.get(R"(/v1/jobs/(\d+))", with_client([this](client_t& c, const http_request& req) {
              auto id = job_id_of(req);
              if (!id.ok()) return failure(id.error());
              auto jobs = c.jobs();
              if (!jobs.ok()) return failure(jobs.error());
              job_view v;
              bool found = false;
              for (auto& j : jobs.value())
                if (j.id == *id) v.job = j, found = true;
              if (!found)
                return failure(status::not_found("no job with id " + std::to_string(*id)));
              auto graph = c.graph(*id);
              if (!graph.ok()) return failure(graph.error());
              v.graph = std::move(graph.value());
              if (v.job.state == job_state::running) {
                // A restarting job's tasks may not answer: the graph alone then.
                if (auto tasks = c.actors(*id); tasks.ok()) v.tasks = std::move(tasks.value());
              }
              if (auto restarts = c.restarts(*id); restarts.ok()) {
                v.restarts = restarts->size();
                v.restarting =
                    !restarts->empty() && restarts->back().outcome == restart_outcome::restarting;
              }
              v.rates = history_.latest(*id);
              v.now_unix_s = unix_now_s();
              return json(job_json(v));
            }));
  http_.get(R"(/v1/jobs/(\d+)/history)", [this](const http_request& req) {
    auto id = job_id_of(req);
    if (!id.ok()) return failure(id.error());
    auto interval = std::chrono::duration<double>(history_.interval()).count();
    return json(history_json(history_.samples(*id), interval));
  });
  http_.get(R"(/v1/jobs/(\d+)/checkpoints)", with_client([](client_t& c, const http_request& req) {
              auto id = job_id_of(req);
              if (!id.ok()) return failure(id.error());
              auto history = c.checkpoints(*id);
              if (!history.ok()) return failure(history.error());
              return json(checkpoints_json(history.value()));
            }));
  http_.get(R"(/v1/jobs/(\d+)/checkpoints/(\d+))",
            with_client([](client_t& c, const http_request& req) {
              auto id = job_id_of(req);
              if (!id.ok()) return failure(id.error());
              auto history = c.checkpoints(*id);
              if (!history.ok()) return failure(history.error());
              for (const auto& ck : history.value()) {
                if (std::to_string(ck.id) != req.matches.at(1)) continue;
                std::string out;
                json_writer w(out);
                write_checkpoint(w, ck, true);
                return json(std::move(out));
              }
              return failure(status::not_found("job " + std::to_string(*id) +
                                               " has no checkpoint " + req.matches.at(1)));
            }));
  http_.get(R"(/v1/jobs/(\d+)/restarts)", with_client([](client_t& c, const http_request& req) {
              auto id = job_id_of(req);
              if (!id.ok()) return failure(id.error());
              auto restarts = c.restarts(*id);
              if (!restarts.ok()) return failure(restarts.error());
              return json(restarts_json(restarts.value()));
            }));
  http_.get("/v1/savepoints", with_client([](client_t& c, const http_request&) {
              auto savepoints = c.savepoints();
              if (!savepoints.ok()) return failure(savepoints.error());
              auto jobs = c.jobs();
              return json(savepoints_json(savepoints.value(),
                                          jobs.ok() ? jobs.value() : std::vector<job_info>{}));
            }));
  http_.get("/v1/prometheus/targets", with_client([this](client_t& c, const http_request&) {
              auto nodes = c.nodes();
              if (!nodes.ok()) return failure(nodes.error());
              return json(prometheus_targets_json(address(), nodes.value()));
            }));

  // Actions.
  auto action = [this, with_client](const char* name, auto f) {
    return with_client([this, name, f](client_t& c, const http_request& req) {
      auto id = job_id_of(req);
      if (!id.ok()) return failure(id.error());
      auto what = std::string(name) + " job " + std::to_string(*id);
      if (auto why = refusal(req, what); !why.empty()) return http_response::error(403, why);
      return f(c, *id);
    });
  };
  http_.post(R"(/v1/jobs/(\d+)/cancel)", action("cancel", [](client_t& c, uint64_t id) {
               auto st = c.cancel(id);
               return st.ok() ? json("{\"ok\":true}") : failure(st);
             }));
  http_.post(R"(/v1/jobs/(\d+)/checkpoints)", action("checkpoint", [](client_t& c, uint64_t id) {
               auto ck = c.checkpoint(id);
               if (!ck.ok()) return failure(ck.error());
               std::string out;
               json_writer w(out);
               write_checkpoint(w, ck.value(), false);
               return json(std::move(out));
             }));
  auto savepoint_reply = [](const result<std::string>& id) {
    if (!id.ok()) return failure(id.error());
    std::string out;
    json_writer w(out);
    w.begin_object().key("savepoint").string(id.value()).end_object();
    return json(std::move(out));
  };
  http_.post(R"(/v1/jobs/(\d+)/savepoints)",
             action("savepoint", [savepoint_reply](client_t& c, uint64_t id) {
               return savepoint_reply(c.savepoint(id));
             }));
  http_.post(R"(/v1/jobs/(\d+)/stop)", action("stop", [savepoint_reply](client_t& c, uint64_t id) {
               return savepoint_reply(c.stop(id, stop_mode::savepoint));
             }));
  http_.get("/v1/.*", [](const http_request& req) {
    return http_response::error(404, "no such resource: " + req.path);
  });

  // The dashboard: its files, compiled into the binary.
  http_.get("/|/[A-Za-z0-9_.-]+", [](const http_request& req) {
    const auto* a = nagare::web::find_asset(req.path);
    if (!a) return http_response::error(404, "no such page: " + req.path);
    http_response r;
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->body);
    r.cache_control = "no-cache";
    return r;
  });
}

}  // namespace nagare::cli::web
