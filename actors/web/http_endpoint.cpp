#include "web/http_endpoint.hpp"

#include <httplib.h>

#include <sys/socket.h>

#include <thread>

#include "nagare/json.hpp"

namespace nagare {

http_response http_response::error(int code, const std::string& message) {
  http_response r;
  r.status = code;
  r.body = "{\"error\":";
  append_json_string(message, r.body);
  r.body += "}";
  return r;
}

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

struct http_endpoint::impl {
  explicit impl(const tls_files& tls) {
    if (!tls.enabled()) {
      server = std::make_unique<httplib::Server>();
      return;
    }
    // The client CA makes the library require a client certificate.
    auto https =
        std::make_unique<httplib::SSLServer>(tls.cert.c_str(), tls.key.c_str(), tls.ca.c_str());
    if (https->is_valid()) SSL_CTX_set_min_proto_version(https->ssl_context(), TLS1_3_VERSION);
    server = std::move(https);
  }
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
};

http_endpoint::http_endpoint(const tls_files& tls)
    : impl_(std::make_unique<impl>(tls)), secure_(tls.enabled()) {
  // A connection holds a thread while it is kept alive, and a browser opens
  // up to six: eight threads, mostly waiting, and connections kept alive for
  // a second only, so that a page's parallel requests never queue behind
  // idle ones. Requests are small: a scrape or a dashboard refresh takes
  // little CPU from the tasks.
  impl_->server->new_task_queue = [] { return new httplib::ThreadPool(8); };
  impl_->server->set_keep_alive_timeout(1);
  impl_->server->set_read_timeout(5, 0);
  impl_->server->set_write_timeout(5, 0);
  impl_->server->set_payload_max_length(64 * 1024);
  // SO_REUSEADDR only: the library's default adds SO_REUSEPORT, with which a
  // second process could bind the same port and take half the requests.
  impl_->server->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  impl_->server->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        auto r = http_response::error(500, what);
        res.status = r.status;
        res.set_content(r.body, r.content_type.c_str());
      });
}

http_endpoint::~http_endpoint() { stop(); }

// Requests a browser could be tricked into making are refused before any
// route sees them:
//  - on a loopback listener, a Host header other than a loopback name: a
//    page of another site that rebinds its DNS name to 127.0.0.1 could
//    otherwise read the answers (DNS rebinding);
//  - a POST whose Origin header names another site (cross-site request
//    forgery: a form on any page can POST to a loopback address). Clients
//    other than browsers send no Origin and are not concerned.
std::string http_endpoint::refusal(const std::string& host, const std::string& origin,
                                   const std::string& method) const {
  if (loopback_) {
    auto name = host.substr(0, host.rfind(':') == std::string::npos || host.back() == ']'
                                   ? host.size()
                                   : host.rfind(':'));
    if (!host.empty() && !is_loopback_host(name))
      return "Host '" + host + "' is not this loopback address";
  }
  if (method == "POST" && !origin.empty() && origin != "http://" + host)
    return "a request from " + origin + " may not act here (cross-site)";
  return "";
}

namespace {

httplib::Server::Handler adapt(http_handler h) {
  return [h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
    http_request r;
    r.method = req.method;
    r.path = req.path;
    for (size_t i = 1; i < req.matches.size(); ++i) r.matches.push_back(req.matches[i].str());
    r.body = req.body;
    r.remote_address = req.remote_addr + ":" + std::to_string(req.remote_port);
    if (req.ssl) {
      auto subject = peer_subject(const_cast<SSL*>(req.ssl));
      r.client_name = subject.name;
      r.client_unit = subject.unit;
      r.client_subject = subject.text;
    }
    auto out = h(r);
    res.status = out.status;
    res.set_header("Cache-Control", out.cache_control);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(out.body, out.content_type.c_str());
  };
}

}  // namespace

void http_endpoint::get(const std::string& pattern, http_handler h) {
  impl_->server->Get(pattern, adapt(std::move(h)));
}

void http_endpoint::post(const std::string& pattern, http_handler h) {
  impl_->server->Post(pattern, adapt(std::move(h)));
}

status http_endpoint::start(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size())
    return status(errc::invalid_argument, "'" + listen + "' is not HOST:PORT");
  auto host = listen.substr(0, colon);
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) port = -1;
  } catch (...) {
  }
  if (port < 0 || port > 65535)
    return status(errc::invalid_argument, "'" + listen + "' has no valid port (0 to 65535)");
  if (!impl_->server->is_valid())
    return status(errc::invalid_argument, "cannot serve HTTPS: the TLS files are not usable");
  auto bind_host = host;
  if (bind_host.size() > 2 && bind_host.front() == '[' && bind_host.back() == ']')
    bind_host = bind_host.substr(1, bind_host.size() - 2);
  int bound = port;
  if (port == 0)
    bound = impl_->server->bind_to_any_port(bind_host.c_str());
  else if (!impl_->server->bind_to_port(bind_host.c_str(), port))
    bound = -1;
  if (bound <= 0)
    return status(errc::io_error,
                  "cannot listen on " + listen + " (address in use or unknown host)");
  address_ = host + ":" + std::to_string(bound);
  loopback_ = is_loopback_host(host);
  impl_->server->set_pre_routing_handler([this](const httplib::Request& req,
                                                httplib::Response& res) {
    auto why = refusal(req.get_header_value("Host"), req.get_header_value("Origin"), req.method);
    if (why.empty()) return httplib::Server::HandlerResponse::Unhandled;
    auto r = http_response::error(403, why);
    res.status = r.status;
    res.set_content(r.body, r.content_type.c_str());
    return httplib::Server::HandlerResponse::Handled;
  });
  impl_->thread = std::thread([this] { impl_->server->listen_after_bind(); });
  return {};
}

void http_endpoint::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server->stop();
  impl_->thread.join();
}

}  // namespace nagare
