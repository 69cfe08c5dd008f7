// A connection whose BASP framing is checked before CAF reads it: every
// header's payload length is held against wire_limits (the handshake limit
// until the peer's handshake arrived, the message limit after), so a header
// claiming gigabytes closes the connection instead of allocating them.
// Accepted connections are watched by the multiplexer until their handshake
// is complete (guarded_multiplexer::watch).
//
// With TLS (transport.hpp) the peer's certificate is verified before BASP
// sees a byte or writes one, and then decides what the peer may say: its
// role must be one this process accepts (guarded_multiplexer::accepts), the
// node id of its BASP handshake is bound to its certificate (peer_book), and
// a client may address only the actors published for clients (and CAF's
// named service actors), never route through this process. CAF's scribe_impl with these checks and
// the transport in place of plain TCP. Runs on the multiplexer thread.
#pragma once

#include <caf/io/network/stream_impl.hpp>
#include <caf/io/scribe.hpp>
#include <caf/node_id.hpp>

#include <set>

#include "net/peer_identity.hpp"
#include "net/transport.hpp"
#include "net/wire_limits.hpp"

namespace nagare {

class guarded_multiplexer;

class guarded_scribe final : public caf::io::scribe {
 public:
  guarded_scribe(guarded_multiplexer& mx, caf::io::network::native_socket fd, bool accepted);
  ~guarded_scribe() override;

  void configure_read(caf::io::receive_policy::config config) override;
  void ack_writes(bool enable) override;
  std::vector<char>& wr_buf() override;
  std::vector<char>& rd_buf() override;
  void graceful_shutdown() override;
  void flush() override;
  std::string addr() const override;
  uint16_t port() const override;
  void add_to_loop() override;
  void remove_from_loop() override;
  bool consume(caf::execution_unit* ctx, const void* buf, size_t num_bytes) override;

  caf::io::network::native_socket fd() const { return stream_.fd(); }
  // "HOST:PORT" of the peer, or "an unknown peer".
  std::string peer() const;

 private:
  enum class framing { unknown, header, payload, other };
  void launch();
  bool refuse(caf::execution_unit* ctx, const std::string& why);
  bool check_header(caf::execution_unit* ctx, const caf::io::basp::header& hdr);
  bool on_handshake_payload(caf::execution_unit* ctx, const void* buf, size_t num_bytes);
  // "" when the verified peer's role is one this process accepts.
  std::string on_verified();
  void handshake_complete();
  void note_outgoing(const std::vector<char>& buf, size_t from);
  // A client (viewer, operator, submitter) that connected here.
  bool accepted_client() const;

  guarded_multiplexer& mx_;
  const wire_limits& limits_;
  bool accepted_;
  transport transport_;
  caf::io::network::stream_impl<transport_policy> stream_;
  bool launched_ = false;
  bool flush_held_ = false;  // BASP flushed before the peer was verified
  framing next_ = framing::unknown;
  bool established_ = false;        // the peer's handshake arrived
  bool payload_completes_ = false;  // the payload awaited is the handshake's
  peer_identity who_;
  caf::node_id bound_;                  // the node id bound to who_ (none yet)
  bool writing_ = false;                // frames were added since the last flush
  size_t unscanned_ = 0;                // where they start in wr_buf()
  std::set<caf::actor_id> answerable_;  // local actors that wrote to a client by name
};

}  // namespace nagare
