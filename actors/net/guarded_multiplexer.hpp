// CAF's epoll multiplexer with Nagare's guards on every connection
// (wire_limits.hpp): scribes that check BASP headers before CAF allocates
// (guarded_scribe), doormans that shed connections when descriptors run out
// or too many are in their handshake (guarded_doorman), and a timer that
// closes accepted connections whose handshake did not arrive in time.
// Loaded by configure() (system_config.cpp) in place of the default backend.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <caf/io/network/default_multiplexer.hpp>

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

  // For guarded_doorman, on the multiplexer thread: a scribe for an accepted
  // connection, watched until its handshake is complete. With
  // max_handshaking connections in their handshake, the oldest is closed.
  caf::io::scribe_ptr accept_scribe(caf::io::network::native_socket fd);
  // Out of descriptors: accepts the waiting connection of `listener` on the
  // spare descriptor and closes it, so the listener stops being readable.
  void shed(caf::io::network::native_socket listener);
  // For guarded_scribe: its handshake is complete, or it is gone. Any thread.
  void unwatch(guarded_scribe* scribe);
  // A warning that names what was refused; at most one line a second.
  void note_refusal(const std::string& what);

 private:
  class handshake_timer;
  friend class handshake_timer;
  using clock = std::chrono::steady_clock;

  // Closes watched connections past their deadline (by shutting their socket
  // down, so CAF sees the end of the stream and cleans up as for any peer
  // that hung up). On the multiplexer thread, from the timer.
  void expire_handshakes();

  wire_limits limits_;
  std::mutex mutex_;  // guards watched_ (scribes may be destroyed off the loop)
  std::unordered_map<guarded_scribe*, clock::time_point> watched_;
  std::unique_ptr<handshake_timer> timer_;
  int spare_fd_ = -1;
  std::mutex warn_mutex_;
  clock::time_point last_warning_{};
  uint64_t unreported_ = 0;
};

}  // namespace nagare
