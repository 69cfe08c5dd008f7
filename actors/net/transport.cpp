#include "net/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <climits>

#include <caf/policy/tcp.hpp>

namespace nagare {

using caf::io::network::native_socket;
using caf::io::network::rw_state;

transport::transport(std::shared_ptr<const tls_context> tls, bool accepted)
    : tls_(std::move(tls)), accepted_(accepted), verified_(tls_ == nullptr) {}

transport::~transport() {
  if (ssl_) SSL_free(ssl_);
}

bool transport::start(native_socket fd) {
  if (!tls_) return true;
  ssl_ = tls_->new_session(fd, accepted_);
  if (!ssl_) {
    fail("cannot start a TLS session: " + last_tls_error());
    return false;
  }
  // A client speaks first: its hello leaves now, the rest follows reads.
  if (!accepted_ && handshake(fd) == rw_state::failure) return false;
  return true;
}

rw_state transport::fail(const std::string& why) {
  if (refusal_.empty()) {
    refusal_ = why;
    if (on_refused) on_refused(why);
  }
  return rw_state::failure;
}

rw_state transport::handshake(native_socket) {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    verified_ = true;
    peer_ = peer_subject(ssl_);
    if (on_verified)
      if (auto why = on_verified(); !why.empty()) return fail(why);
    return rw_state::success;
  }
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return rw_state::indeterminate;
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK)
    return fail(std::string("its certificate: ") + X509_verify_cert_error_string(verify));
  auto why = last_tls_error();
  if (why.empty()) why = e == SSL_ERROR_SYSCALL ? "the connection closed" : "TLS error";
  return fail("TLS handshake: " + why);
}

rw_state transport::read_some(size_t& result, native_socket fd, void* buf, size_t len) {
  result = 0;
  if (!tls_) return caf::policy::tcp::read_some(result, fd, buf, len);
  if (!verified_) {
    auto r = handshake(fd);
    if (r != rw_state::success) return r;
  }
  ERR_clear_error();
  int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(len, INT_MAX)));
  if (n > 0) {
    result = static_cast<size_t>(n);
    return rw_state::success;
  }
  int e = SSL_get_error(ssl_, n);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return rw_state::indeterminate;
  // The peer closed the connection (with or without a close_notify).
  if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ||
      ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return rw_state::failure;
  return fail("TLS: " + last_tls_error());
}

rw_state transport::write_some(size_t& result, native_socket fd, const void* buf, size_t len) {
  result = 0;
  if (!tls_) return caf::policy::tcp::write_some(result, fd, buf, len);
  // Writes are held until the handshake is done (guarded_scribe::flush);
  // 0 bytes keeps them queued (an indeterminate write would drop them).
  if (!verified_ || len == 0) return rw_state::success;
  ERR_clear_error();
  int n = SSL_write(ssl_, buf, static_cast<int>(std::min<size_t>(len, INT_MAX)));
  if (n > 0) {
    result = static_cast<size_t>(n);
    return rw_state::success;
  }
  int e = SSL_get_error(ssl_, n);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return rw_state::success;
  // The peer is gone (EPIPE, ECONNRESET): a close, not a refusal.
  if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) return rw_state::failure;
  return fail("TLS: " + last_tls_error());
}

bool transport::must_read_more() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }

}  // namespace nagare
