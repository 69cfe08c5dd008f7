// How one connection moves its bytes: plaintext TCP, or TLS over it
// (tls_context.hpp). A guarded_scribe owns one; CAF's stream calls it through
// transport_policy. With TLS, nothing the peer sends reaches BASP and nothing
// BASP writes leaves before the peer's certificate is verified
// (guarded_scribe::flush holds writes until then). Multiplexer thread only.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <caf/io/network/native_socket.hpp>
#include <caf/io/network/rw_state.hpp>

#include "net/tls_context.hpp"

namespace nagare {

class transport {
 public:
  // Plaintext when `tls` is null; else TLS as the server of an accepted
  // connection or as the client of one this process opened.
  transport(std::shared_ptr<const tls_context> tls, bool accepted);
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  // Sends a client's first handshake flight. False when the session could
  // not be set up (refusal() says why).
  bool start(caf::io::network::native_socket fd);

  caf::io::network::rw_state read_some(size_t& result, caf::io::network::native_socket fd,
                                       void* buf, size_t len);
  caf::io::network::rw_state write_some(size_t& result, caf::io::network::native_socket fd,
                                        const void* buf, size_t len);
  // TLS buffers whole records: bytes may wait there with the socket empty.
  bool must_read_more() const;

  bool secure() const { return tls_ != nullptr; }
  // Plaintext: at once; TLS: once the handshake verified the peer.
  bool verified() const { return verified_; }
  // The peer's certificate (TLS, once verified).
  const certificate_subject& peer() const { return peer_; }
  // Why the connection failed ("" while it did not).
  const std::string& refusal() const { return refusal_; }

  // Called once, when the handshake has verified the peer's certificate;
  // returning a reason refuses the peer after all.
  std::function<std::string()> on_verified;
  // Called with the reason when the handshake or the session fails.
  std::function<void(const std::string&)> on_refused;

 private:
  caf::io::network::rw_state handshake(caf::io::network::native_socket fd);
  caf::io::network::rw_state fail(const std::string& why);

  std::shared_ptr<const tls_context> tls_;
  struct ssl_st* ssl_ = nullptr;
  bool accepted_;
  bool verified_;
  certificate_subject peer_;
  std::string refusal_;
};

// The policy CAF's stream_impl takes: forwards to the connection's transport.
class transport_policy {
 public:
  explicit transport_policy(transport* t) : t_(t) {}
  caf::io::network::rw_state read_some(size_t& result, caf::io::network::native_socket fd,
                                       void* buf, size_t len) {
    return t_->read_some(result, fd, buf, len);
  }
  caf::io::network::rw_state write_some(size_t& result, caf::io::network::native_socket fd,
                                        const void* buf, size_t len) {
    return t_->write_some(result, fd, buf, len);
  }
  bool must_read_more(caf::io::network::native_socket, size_t) const {
    return t_->must_read_more();
  }

 private:
  transport* t_;
};

}  // namespace nagare
