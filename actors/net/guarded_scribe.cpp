#include "net/guarded_scribe.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/message_id.hpp>

#include "log.hpp"
#include "net/guarded_multiplexer.hpp"

namespace nagare {

namespace basp = caf::io::basp;

guarded_scribe::guarded_scribe(guarded_multiplexer& mx, caf::io::network::native_socket fd,
                               bool accepted)
    : caf::io::scribe(caf::io::network::conn_hdl_from_socket(fd)),
      mx_(mx),
      limits_(mx.limits()),
      accepted_(accepted),
      transport_(mx.tls(), accepted),
      stream_(mx, fd, &transport_) {
  who_.address = peer();
  if (transport_.secure()) {
    transport_.on_verified = [this] { return on_verified(); };
    transport_.on_refused = [this](const std::string& why) {
      mx_.note_refusal(std::string("the connection ") + (accepted_ ? "from " : "to ") +
                           who_.address + ": " + why,
                       !accepted_);
    };
    transport_.start(fd);
  } else {
    who_.how = peer_identity::kind::plaintext;
  }
}

guarded_scribe::~guarded_scribe() {
  if (accepted_ && !established_) mx_.unwatch(this);
  if (bound_) mx_.peers().unbind(bound_);
}

std::string guarded_scribe::peer() const {
  auto host = caf::io::network::remote_addr_of_fd(fd());
  auto port = caf::io::network::remote_port_of_fd(fd());
  if (!host || !port) return "an unknown peer";
  return *host + ":" + std::to_string(*port);
}

// --- CAF's scribe_impl, over the transport ---------------------------------

void guarded_scribe::configure_read(caf::io::receive_policy::config config) {
  // BASP reads a header first; any other first read means another protocol,
  // which passes unchecked.
  if (next_ == framing::unknown)
    next_ =
        config.first == caf::io::receive_policy_flag::exactly && config.second == basp::header_size
            ? framing::header
            : framing::other;
  stream_.configure_read(config);
  if (!launched_) launch();
}

void guarded_scribe::ack_writes(bool enable) { stream_.ack_writes(enable); }
std::vector<char>& guarded_scribe::wr_buf() {
  auto& buf = stream_.wr_buf();
  if (!writing_) {  // the first frame since the last flush starts here
    writing_ = true;
    unscanned_ = buf.size();
  }
  return buf;
}
std::vector<char>& guarded_scribe::rd_buf() { return stream_.rd_buf(); }

void guarded_scribe::graceful_shutdown() {
  stream_.graceful_shutdown();
  detach(&stream_.backend(), false);
}

void guarded_scribe::flush() {
  if (writing_) {
    writing_ = false;
    note_outgoing(stream_.wr_buf(), unscanned_);
  }
  // Nothing leaves before the peer is verified; on_verified flushes.
  if (!transport_.verified()) {
    flush_held_ = true;
    return;
  }
  stream_.flush(this);
}

std::string guarded_scribe::addr() const {
  auto x = caf::io::network::remote_addr_of_fd(stream_.fd());
  return x ? *x : std::string();
}

uint16_t guarded_scribe::port() const {
  auto x = caf::io::network::remote_port_of_fd(stream_.fd());
  return x ? *x : 0;
}

void guarded_scribe::launch() {
  launched_ = true;
  stream_.start(this);
}

void guarded_scribe::add_to_loop() { stream_.activate(this); }
void guarded_scribe::remove_from_loop() { stream_.passivate(); }

// The frames BASP wrote from `from` on: an actor of this process that sends
// a client a message by name (CAF's per-peer helper, probing the client's
// named actors) may be answered.
void guarded_scribe::note_outgoing(const std::vector<char>& buf, size_t from) {
  if (!accepted_client()) return;  // a node's data plane is not scanned
  for (size_t at = from; at + basp::header_size <= buf.size();) {
    basp::header hdr;
    caf::binary_deserializer source{nullptr, buf.data() + at, basp::header_size};
    if (source(hdr)) return;
    if (hdr.operation == basp::message_type::direct_message &&
        hdr.has(basp::header::named_receiver_flag))
      answerable_.insert(hdr.source_actor);
    at += basp::header_size + hdr.payload_len;
  }
}

bool guarded_scribe::accepted_client() const {
  return accepted_ && who_.how == peer_identity::kind::certificate && is_client_role(who_.role);
}

// --- The peer's certificate -------------------------------------------------

std::string guarded_scribe::on_verified() {
  const auto& cert = transport_.peer();
  who_.how = peer_identity::kind::certificate;
  who_.name = cert.name;
  who_.subject = cert.text;
  who_.role = role_of_unit(cert.unit);
  if (auto why = mx_.accepts(who_.role, accepted_); !why.empty())
    return "its certificate (" + cert.text + ") " + why;
  if (flush_held_) {
    flush_held_ = false;
    stream_.flush(this);
  }
  return {};
}

// --- BASP ---------------------------------------------------------------------

bool guarded_scribe::consume(caf::execution_unit* ctx, const void* buf, size_t num_bytes) {
  if (next_ == framing::payload) {
    next_ = framing::header;
    if (payload_completes_ && !on_handshake_payload(ctx, buf, num_bytes)) return false;
    bool more = caf::io::scribe::consume(ctx, buf, num_bytes);
    if (payload_completes_) handshake_complete();
    return more;
  }
  if (next_ != framing::header || num_bytes != basp::header_size)
    return caf::io::scribe::consume(ctx, buf, num_bytes);
  basp::header hdr;
  caf::binary_deserializer source{ctx, static_cast<const char*>(buf), num_bytes};
  if (source(hdr)) return caf::io::scribe::consume(ctx, buf, num_bytes);  // BASP refuses it
  if (!check_header(ctx, hdr)) return false;
  bool handshake = basp::is_handshake(hdr);
  bool more = caf::io::scribe::consume(ctx, buf, num_bytes);
  if (hdr.payload_len > 0) {
    next_ = framing::payload;
    payload_completes_ = handshake;
  } else if (handshake) {
    handshake_complete();
  }
  return more;
}

// The limits, and what a client may say: to an actor published for clients
// (or CAF's named service actors), directly (never routed on to another node).
bool guarded_scribe::check_header(caf::execution_unit* ctx, const basp::header& hdr) {
  auto limit = established_ ? limits_.max_message_bytes : limits_.handshake_message_bytes;
  if (hdr.payload_len > limit)
    return refuse(ctx, "a message of " + std::to_string(hdr.payload_len) + " bytes (the limit is " +
                           std::to_string(limit) + " bytes" +
                           (established_ ? "" : " before the handshake") + ")");
  if (!accepted_client()) return true;
  switch (hdr.operation) {
    case basp::message_type::routed_message:
      return refuse(ctx, "a routed message from " + who_.describe());
    case basp::message_type::direct_message:
      // CAF's own named actors (ConfigServ, SpawnServ: no actor type is
      // registered, so nothing can be spawned) answer a client's middleman.
      if (hdr.has(basp::header::named_receiver_flag)) return true;
      // Responses reach only an actor that awaits them (CAF drops others):
      // the client's middleman answers the probes of this process's own.
      if (caf::message_id{hdr.operation_data}.is_response()) return true;
      if (!mx_.client_may_address(hdr.dest_actor) && answerable_.count(hdr.dest_actor) == 0)
        return refuse(ctx, "a message to actor " + std::to_string(hdr.dest_actor) + " from " +
                               who_.describe() + " (clients address the coordinator only)");
      return true;
    default:
      return true;
  }
}

// A handshake's payload starts with the sender's node id: it is bound to the
// peer's certificate, and may not be this process's own.
bool guarded_scribe::on_handshake_payload(caf::execution_unit* ctx, const void* buf,
                                          size_t num_bytes) {
  if (established_) return true;
  caf::node_id node;
  caf::binary_deserializer source{ctx, static_cast<const char*>(buf), num_bytes};
  if (source(node) || !node) return true;  // BASP refuses the handshake
  if (node == mx_.system().node())
    return refuse(ctx, who_.describe() + ": its handshake claims this process's node id");
  auto bound = mx_.peers().bind(node, who_);
  if (!bound.ok()) return refuse(ctx, who_.describe() + ": " + bound.message());
  bound_ = node;
  return true;
}

// Closes the connection as a read error would, before BASP sees the bytes.
bool guarded_scribe::refuse(caf::execution_unit* ctx, const std::string& why) {
  mx_.note_refusal(why + " (from " + peer() + ")");
  io_failure(ctx, caf::io::network::operation::read);
  return false;
}

void guarded_scribe::handshake_complete() {
  if (established_) return;
  established_ = true;
  if (accepted_) mx_.unwatch(this);
}

}  // namespace nagare
