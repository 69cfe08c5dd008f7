#include "net/guarded_multiplexer.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include <caf/actor_system.hpp>

#include "log.hpp"
#include "net/guarded_doorman.hpp"
#include "net/guarded_scribe.hpp"

namespace nagare {

// A timerfd in the event loop, registered only while connections are
// watched: an idle loop has nothing to wake it, and an event loop that is
// shutting down is not kept alive by it.
class guarded_multiplexer::handshake_timer final : public caf::io::network::event_handler {
 public:
  handshake_timer(guarded_multiplexer& mx, std::chrono::milliseconds period)
      : event_handler(mx, ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)), mx_(mx) {
    itimerspec spec{};
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(period).count();
    spec.it_interval.tv_sec = spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_interval.tv_nsec = spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
    if (fd() >= 0) ::timerfd_settime(fd(), 0, &spec, nullptr);
  }

  void arm() {
    if (armed_ || fd() < 0) return;
    armed_ = true;
    state_.reading = true;
    activate();
  }
  void disarm() {
    if (!armed_) return;
    armed_ = false;
    passivate();
  }

  void handle_event(caf::io::network::operation op) override {
    if (op != caf::io::network::operation::read) return;
    uint64_t expirations = 0;
    while (::read(fd(), &expirations, sizeof expirations) > 0) {
    }
    mx_.expire_handshakes();
  }
  void removed_from_loop(caf::io::network::operation) override {}
  void graceful_shutdown() override { disarm(); }

 private:
  guarded_multiplexer& mx_;
  bool armed_ = false;
};

guarded_multiplexer::guarded_multiplexer(caf::actor_system* sys)
    : default_multiplexer(sys), limits_(wire_limits_of(sys->config())) {
  if (auto files = tls_files_of(sys->config()); files.enabled()) {
    // The command checked the files before the actor system started.
    auto loaded = tls_context::load(files);
    if (loaded.ok()) {
      tls_ = std::move(loaded.value());
      own_role_ = role_of_unit(tls_->own().unit);
      // OpenSSL writes with write(2), not send(MSG_NOSIGNAL) as CAF does: a
      // peer that hangs up must not kill the process.
      std::signal(SIGPIPE, SIG_IGN);
    } else {
      NAGARE_LOG(error, "net") << "TLS: " << loaded.error().message()
                               << "; every connection will be refused";
      tls_broken_ = true;
    }
  }
  auto period = std::clamp(limits_.handshake_timeout / 4, std::chrono::milliseconds(10),
                           std::chrono::milliseconds(250));
  timer_ = std::make_unique<handshake_timer>(*this, period);
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

guarded_multiplexer::~guarded_multiplexer() {
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

caf::io::scribe_ptr guarded_multiplexer::new_scribe(caf::io::network::native_socket fd) {
  // Never plaintext where TLS was asked for: the connection ends at once.
  if (tls_broken_) ::shutdown(fd, SHUT_RDWR);
  return caf::make_counted<guarded_scribe>(*this, fd, false);
}

caf::io::doorman_ptr guarded_multiplexer::new_doorman(caf::io::network::native_socket fd) {
  return caf::make_counted<guarded_doorman>(*this, fd);
}

caf::io::scribe_ptr guarded_multiplexer::accept_scribe(caf::io::network::native_socket fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (watched_.size() >= limits_.max_handshaking) {
    // The oldest connection in its handshake makes room: a real peer
    // completes its handshake within milliseconds, so to crowd one out an
    // attacker must open max_handshaking connections in that time, where
    // refusing new ones would let a few silent connections lock every peer out.
    auto oldest =
        std::min_element(watched_.begin(), watched_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    note_refusal("the connection from " + oldest->first->peer() + ": " +
                 std::to_string(limits_.max_handshaking) +
                 " connections are in their handshake and it is the oldest");
    ::shutdown(oldest->first->fd(), SHUT_RDWR);
    watched_.erase(oldest);
  }
  if (tls_broken_) ::shutdown(fd, SHUT_RDWR);
  auto scribe = caf::make_counted<guarded_scribe>(*this, fd, true);
  watched_.emplace(scribe.get(), clock::now() + limits_.handshake_timeout);
  timer_->arm();
  return scribe;
}

void guarded_multiplexer::unwatch(guarded_scribe* scribe) {
  std::lock_guard<std::mutex> lock(mutex_);
  watched_.erase(scribe);
}

void guarded_multiplexer::expire_handshakes() {
  // Only the timer is left in the loop: the middleman is shutting down.
  bool stopping = num_socket_handlers() <= 1;
  auto now = clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto i = watched_.begin(); i != watched_.end();) {
    if (!stopping && i->second > now) {
      ++i;
      continue;
    }
    if (!stopping) {
      // The scribe is alive: its destructor would wait for mutex_ in unwatch.
      note_refusal("the connection from " + i->first->peer() + ": no handshake within " +
                   std::to_string(limits_.handshake_timeout.count()) + " ms");
      ::shutdown(i->first->fd(), SHUT_RDWR);
    }
    i = watched_.erase(i);
  }
  if (watched_.empty()) timer_->disarm();
}

void guarded_multiplexer::shed(caf::io::network::native_socket listener) {
  if (spare_fd_ >= 0) ::close(spare_fd_);
  int waiting = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (waiting >= 0) ::close(waiting);
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  note_refusal("a connection: the process is out of file descriptors");
}

std::string guarded_multiplexer::accepts(peer_role role, bool accepted) const {
  auto is_peer = role == peer_role::node || role == peer_role::coordinator;
  switch (own_role_) {
    case peer_role::coordinator:
      if (role == peer_role::none) return "names no role (OU) this cluster knows";
      return accepted ? "" : "is not a node's";
    case peer_role::node:
      return is_peer ? "" : "is not a node's or the coordinator's";
    case peer_role::viewer:
    case peer_role::operator_:
    case peer_role::submitter:
      return !accepted && role == peer_role::coordinator ? "" : "is not the coordinator's";
    case peer_role::none:
      break;
  }
  return "cannot be checked: this process has no usable TLS files";
}

void guarded_multiplexer::allow_client_address(caf::actor_id id) {
  std::lock_guard<std::mutex> lock(client_mutex_);
  client_targets_.insert(id);
}

bool guarded_multiplexer::client_may_address(caf::actor_id id) const {
  std::lock_guard<std::mutex> lock(client_mutex_);
  return client_targets_.count(id) > 0;
}

std::string guarded_multiplexer::last_refusal() const {
  std::lock_guard<std::mutex> lock(warn_mutex_);
  return last_refusal_;
}

void guarded_multiplexer::note_refusal(const std::string& what, bool outgoing) {
  std::lock_guard<std::mutex> lock(warn_mutex_);
  last_refusal_ = what;
  if (outgoing && is_client_role(own_role_)) return;
  auto now = clock::now();
  if (now - last_warning_ < std::chrono::seconds(1)) {
    ++unreported_;
    return;
  }
  NAGARE_LOG(warning, "net") << "refused " << what
                             << (unreported_ ? " (and " + std::to_string(unreported_) +
                                                   " more since the previous warning)"
                                             : std::string());
  last_warning_ = now;
  unreported_ = 0;
}

}  // namespace nagare
