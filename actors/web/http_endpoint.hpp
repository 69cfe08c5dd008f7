// An HTTP listener (cpp-httplib) on a HOST:PORT of its own, serving the
// routes its owner adds: /metrics on every node, the REST API and the
// dashboard on the coordinator. Requests are handled on the library's own
// threads, never on an actor's: a handler that needs an actor asks it with
// a blocking request (caf::scoped_actor) and a timeout.
//
// Requests a browser could be made to send by another site are refused
// (a foreign Host on a loopback listener, a cross-site POST): see the .cpp.
// With TLS files it serves HTTPS and requires a client certificate of the
// cluster's CA; each request names its client (the certificate's CN and OU).
//
// Thread-safe after start(); routes are added before it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nagare/status.hpp"
#include "net/tls_context.hpp"

namespace nagare {

struct http_request {
  std::string method;
  std::string path;
  std::vector<std::string> matches;  // the route pattern's capture groups
  std::string body;
  std::string remote_address;
  // HTTPS: the client certificate's common name and organizational unit.
  std::string client_name;
  std::string client_unit;
  std::string client_subject;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string cache_control = "no-store";

  // {"error": message} with `code`.
  static http_response error(int code, const std::string& message);
};

using http_handler = std::function<http_response(const http_request&)>;

class http_endpoint {
 public:
  // HTTPS with `tls` (the process's CA, certificate and key), else HTTP.
  explicit http_endpoint(const tls_files& tls = {});
  ~http_endpoint();  // stops and joins
  http_endpoint(const http_endpoint&) = delete;
  http_endpoint& operator=(const http_endpoint&) = delete;

  // Routes: `pattern` is a regular expression over the whole path
  // (ECMAScript), its groups become http_request::matches. REQUIRES: before
  // start().
  void get(const std::string& pattern, http_handler h);
  void post(const std::string& pattern, http_handler h);

  // Binds `listen` (HOST:PORT; port 0: any free port) and serves on a thread
  // of its own; an error (errc::invalid_argument, errc::io_error) says why
  // it cannot listen.
  status start(const std::string& listen);
  void stop();

  // HOST:PORT it listens on (the port bound for port 0); "" before start().
  const std::string& address() const { return address_; }
  // Whether it listens on a loopback address only (127.0.0.0/8, ::1,
  // localhost): then only this machine's users reach it.
  bool loopback() const { return loopback_; }
  // Whether it serves HTTPS with client certificates.
  bool secure() const { return secure_; }

 private:
  // Why a request is refused before routing ("" : it is not); see the .cpp.
  std::string refusal(const std::string& host, const std::string& origin,
                      const std::string& method) const;
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string address_;
  bool loopback_ = false;
  bool secure_ = false;
};

// Whether HOST (of a HOST:PORT) is a loopback address.
bool is_loopback_host(const std::string& host);

}  // namespace nagare
