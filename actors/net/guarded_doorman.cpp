#include "net/guarded_doorman.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "net/guarded_multiplexer.hpp"

namespace nagare {

bool shedding_accept::try_accept(caf::io::network::native_socket& result,
                                 caf::io::network::native_socket fd) {
  result = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (result >= 0) return true;
  result = caf::io::network::invalid_native_socket;
  if (errno == EMFILE || errno == ENFILE) mx_.shed(fd);
  return false;
}

guarded_doorman::guarded_doorman(guarded_multiplexer& mx, caf::io::network::native_socket fd)
    : doorman(caf::io::network::accept_hdl_from_socket(fd)), acceptor_(mx, fd, mx) {}

bool guarded_doorman::new_connection() {
  // Detached: the broker let go while the socket was still in the loop.
  if (detached()) return false;
  auto& mx = static_cast<guarded_multiplexer&>(acceptor_.backend());
  auto scribe = mx.accept_scribe(acceptor_.accepted_socket());
  auto hdl = scribe->hdl();
  parent()->add_scribe(std::move(scribe));
  return doorman::new_connection(&mx, hdl);
}

void guarded_doorman::graceful_shutdown() {
  acceptor_.graceful_shutdown();
  detach(&acceptor_.backend(), false);
}

void guarded_doorman::launch() { acceptor_.start(this); }

std::string guarded_doorman::addr() const {
  auto x = caf::io::network::local_addr_of_fd(acceptor_.fd());
  return x ? *x : std::string();
}

uint16_t guarded_doorman::port() const {
  auto x = caf::io::network::local_port_of_fd(acceptor_.fd());
  return x ? *x : 0;
}

void guarded_doorman::add_to_loop() { acceptor_.activate(this); }

void guarded_doorman::remove_from_loop() { acceptor_.passivate(); }

}  // namespace nagare
