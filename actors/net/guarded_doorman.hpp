// A listening socket that stays calm under pressure: when the process is out
// of file descriptors (EMFILE) it sheds the waiting connection with a spare
// descriptor instead of spinning on a listening socket that stays readable,
// and it makes room for a new connection when wire_limits::max_handshaking
// are in their handshake (guarded_multiplexer::accept_scribe). CAF's
// doorman_impl with these two changes; runs on the multiplexer thread.
#pragma once

#include <caf/io/doorman.hpp>
#include <caf/io/network/acceptor_impl.hpp>

namespace nagare {

class guarded_multiplexer;

// The accept policy of guarded_doorman's acceptor.
class shedding_accept {
 public:
  explicit shedding_accept(guarded_multiplexer& mx) : mx_(mx) {}
  // True with `result` set when a connection was accepted.
  bool try_accept(caf::io::network::native_socket& result, caf::io::network::native_socket fd);

 private:
  guarded_multiplexer& mx_;
};

class guarded_doorman final : public caf::io::doorman {
 public:
  guarded_doorman(guarded_multiplexer& mx, caf::io::network::native_socket fd);

  bool new_connection() override;
  void graceful_shutdown() override;
  void launch() override;
  std::string addr() const override;
  uint16_t port() const override;
  void add_to_loop() override;
  void remove_from_loop() override;

 private:
  caf::io::network::acceptor_impl<shedding_accept> acceptor_;
};

}  // namespace nagare
