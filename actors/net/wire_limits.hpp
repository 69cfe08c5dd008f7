// What a peer may make a daemon hold. Every BASP message announces its
// payload's length in a 32-byte header, and CAF allocates that much before
// reading it; anyone who can reach a port can open connections and then stay
// silent. These limits are checked before CAF sees a header
// (guarded_scribe.hpp) or a connection (guarded_doorman.hpp), so a daemon's
// memory and file descriptors stay bounded whatever arrives.
#pragma once

#include <chrono>
#include <cstdint>

#include <caf/fwd.hpp>

namespace nagare {

struct wire_limits {
  // The largest payload of one message (a job submission carries its whole
  // library; snapshots travel in chunks of 1 MiB).
  uint64_t max_message_bytes = uint64_t{128} << 20;
  // The largest payload before the peer's handshake arrived (a handshake is
  // a few hundred bytes).
  uint64_t handshake_message_bytes = uint64_t{64} << 10;
  // An accepted connection that has not completed its handshake by then is
  // closed.
  std::chrono::milliseconds handshake_timeout{10000};
  // Accepted connections still in their handshake; a new one beyond this
  // closes the oldest.
  uint32_t max_handshaking = 256;
};

// Stores the limits in the configuration (before the actor system starts);
// the multiplexer reads them back.
void put_wire_limits(caf::actor_system_config& cfg, const wire_limits& limits);
wire_limits wire_limits_of(const caf::actor_system_config& cfg);

}  // namespace nagare
