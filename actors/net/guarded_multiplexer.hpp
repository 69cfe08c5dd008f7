// CAF's epoll multiplexer with Nagare's guards on every connection
// (wire_limits.hpp): scribes that check BASP headers before CAF allocates
// (guarded_scribe), doormans that shed connections when descriptors run out
// or too many are in their handshake (guarded_doorman), and a timer that
// closes accepted connections whose handshake did not arrive in time.
// With TLS files configured (tls_context.hpp) every connection is TLS, and
// the peer's role decides what it may do (guarded_scribe). Loaded by
// configure() (system_config.cpp) in place of the default backend.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include <caf/io/network/default_multiplexer.hpp>

#include "net/peer_identity.hpp"
#include "net/tls_context.hpp"
#include "net/wire_limits.hpp"

namespace nagare {

class guarded_scribe;

class guarded_multiplexer final : public caf::io::network::default_multiplexer {
 public:
  explicit guarded_multiplexer(caf::actor_system* sys);
  ~guarded_multiplexer() override;

  // Connections this process opens (guarded, not watched).
  caf::io::scribe_ptr new_scribe(caf::io::network::native_socket fd) override;
  caf::io::doorman_ptr new_doorman(caf::io::network::native_socket fd) override;

  const wire_limits& limits() const { return limits_; }
  // This process's TLS (null: plaintext, loopback only).
  const std::shared_ptr<const tls_context>& tls() const { return tls_; }
  // Who holds which node id (peer_identity.hpp).
  peer_book& peers() { return peers_; }
  // "" when this process talks to a peer of `role` (accepted: it connected
  // here); else why not. A coordinator accepts every role; a node accepts
  // and connects to nodes and the coordinator; a client connects to the
  // coordinator only.
  std::string accepts(peer_role role, bool accepted) const;
  // The actors a client may send to (the published coordinator): any
  // other target from a client closes its connection.
  void allow_client_address(caf::actor_id id);
  bool client_may_address(caf::actor_id id) const;
  // The newest refusal, for a client to explain a failed connection.
  std::string last_refusal() const;

  // For guarded_doorman, on the multiplexer thread: a scribe for an accepted
  // connection, watched until its handshake is complete. With
  // max_handshaking connections in their handshake, the oldest is closed.
  caf::io::scribe_ptr accept_scribe(caf::io::network::native_socket fd);
  // Out of descriptors: accepts the waiting connection of `listener` on the
  // spare descriptor and closes it, so the listener stops being readable.
  void shed(caf::io::network::native_socket listener);
  // For guarded_scribe: its handshake is complete, or it is gone. Any thread.
  void unwatch(guarded_scribe* scribe);
  // A warning that names what was refused; at most one line a second. A
  // client does not log the refusal of its own connection (its error says it).
  void note_refusal(const std::string& what, bool outgoing = false);

 private:
  class handshake_timer;
  friend class handshake_timer;
  using clock = std::chrono::steady_clock;

  // Closes watched connections past their deadline (by shutting their socket
  // down, so CAF sees the end of the stream and cleans up as for any peer
  // that hung up). On the multiplexer thread, from the timer.
  void expire_handshakes();

  wire_limits limits_;
  std::shared_ptr<const tls_context> tls_;
  bool tls_broken_ = false;               // TLS files given but unusable: no connections
  peer_role own_role_ = peer_role::none;  // its certificate's OU
  peer_book peers_;
  mutable std::mutex client_mutex_;  // guards client_targets_
  std::set<caf::actor_id> client_targets_;
  std::mutex mutex_;  // guards watched_ (scribes may be destroyed off the loop)
  std::unordered_map<guarded_scribe*, clock::time_point> watched_;
  std::unique_ptr<handshake_timer> timer_;
  int spare_fd_ = -1;
  mutable std::mutex warn_mutex_;
  clock::time_point last_warning_{};
  uint64_t unreported_ = 0;
  std::string last_refusal_;
};

}  // namespace nagare
