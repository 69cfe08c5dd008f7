// The cluster's mutual TLS: every process holds a certificate signed by the
// cluster's CA and its key, and trusts exactly that CA. A tls_context is
// loaded once per process (the files checked: the key matches the
// certificate, the CA signed it, the key is not readable by others, the
// certificate has not expired) and makes one OpenSSL session per
// connection, TLS 1.3 only, with the peer's certificate required both ways.
//
// A certificate says what its holder may do in its subject's organizational
// unit (scripts/certs): "coordinator", "node", or a client's "viewer",
// "operator" or "submitter" (authz.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "nagare/status.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace nagare {

// Where a process's TLS files are; all empty: plaintext (loopback only).
struct tls_files {
  std::string ca, cert, key;
  bool enabled() const { return !ca.empty() || !cert.empty() || !key.empty(); }
};

// Stores the files in the configuration (before the actor system starts);
// the multiplexer reads them back.
void put_tls_files(caf::actor_system_config& cfg, const tls_files& files);
tls_files tls_files_of(const caf::actor_system_config& cfg);

// What a verified certificate says of its holder.
struct certificate_subject {
  std::string name;  // the common name (CN)
  std::string unit;  // the organizational unit (OU): the role
  std::string text;  // the whole subject, one line
};

class tls_context {
 public:
  // The files checked and loaded; a one-line error naming the file and the
  // problem otherwise.
  static result<std::shared_ptr<tls_context>> load(const tls_files& files);
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  // A session on connected socket `fd`, as the server (accepted) or client.
  ssl_st* new_session(int fd, bool server) const;
  // This process's own certificate subject.
  const certificate_subject& own() const { return own_; }
  // What is usable but should be fixed: a key that group or others may
  // read, a certificate that expires within 14 days.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  explicit tls_context(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
  certificate_subject own_;
  std::vector<std::string> warnings_;
};

// The verified peer certificate of an established session.
certificate_subject peer_subject(ssl_st* ssl);

// The newest OpenSSL error of this thread, one line ("" when none).
std::string last_tls_error();

}  // namespace nagare
