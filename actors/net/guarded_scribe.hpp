// A connection whose BASP framing is checked before CAF reads it: every
// header's payload length is held against wire_limits (the handshake limit
// until the peer's handshake arrived, the message limit after), so a header
// claiming gigabytes closes the connection instead of allocating them.
// Accepted connections are watched by the multiplexer until their handshake
// is complete (guarded_multiplexer::watch). Runs on the multiplexer thread.
#pragma once

#include <caf/io/network/scribe_impl.hpp>

#include "net/wire_limits.hpp"

namespace nagare {

class guarded_multiplexer;

class guarded_scribe final : public caf::io::network::scribe_impl {
 public:
  guarded_scribe(guarded_multiplexer& mx, caf::io::network::native_socket fd, bool accepted);
  ~guarded_scribe() override;

  void configure_read(caf::io::receive_policy::config config) override;
  bool consume(caf::execution_unit* ctx, const void* buf, size_t num_bytes) override;

  caf::io::network::native_socket fd() const { return stream_.fd(); }
  // "HOST:PORT" of the peer, or "an unknown peer".
  std::string peer() const;

 private:
  enum class framing { unknown, header, payload, other };
  bool refuse(caf::execution_unit* ctx, uint64_t payload_len, uint64_t limit);
  void handshake_complete();

  guarded_multiplexer& mx_;
  const wire_limits& limits_;
  bool accepted_;
  framing next_ = framing::unknown;
  bool established_ = false;        // the peer's handshake arrived
  bool payload_completes_ = false;  // the payload awaited is the handshake's
};

}  // namespace nagare
