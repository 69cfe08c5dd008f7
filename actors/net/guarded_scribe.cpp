#include "net/guarded_scribe.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/io/basp/header.hpp>

#include "log.hpp"
#include "net/guarded_multiplexer.hpp"

namespace nagare {

guarded_scribe::guarded_scribe(guarded_multiplexer& mx, caf::io::network::native_socket fd,
                               bool accepted)
    : scribe_impl(mx, fd), mx_(mx), limits_(mx.limits()), accepted_(accepted) {}

guarded_scribe::~guarded_scribe() {
  if (accepted_ && !established_) mx_.unwatch(this);
}

std::string guarded_scribe::peer() const {
  auto host = caf::io::network::remote_addr_of_fd(fd());
  auto port = caf::io::network::remote_port_of_fd(fd());
  if (!host || !port) return "an unknown peer";
  return *host + ":" + std::to_string(*port);
}

void guarded_scribe::configure_read(caf::io::receive_policy::config config) {
  // BASP reads a header first; any other first read means another protocol,
  // which passes unchecked.
  if (next_ == framing::unknown)
    next_ = config.first == caf::io::receive_policy_flag::exactly &&
                    config.second == caf::io::basp::header_size
                ? framing::header
                : framing::other;
  scribe_impl::configure_read(config);
}

bool guarded_scribe::consume(caf::execution_unit* ctx, const void* buf, size_t num_bytes) {
  if (next_ == framing::payload) {
    next_ = framing::header;
    bool more = scribe_impl::consume(ctx, buf, num_bytes);
    if (payload_completes_) handshake_complete();
    return more;
  }
  if (next_ != framing::header || num_bytes != caf::io::basp::header_size)
    return scribe_impl::consume(ctx, buf, num_bytes);
  caf::io::basp::header hdr;
  caf::binary_deserializer source{ctx, static_cast<const char*>(buf), num_bytes};
  if (source(hdr)) return scribe_impl::consume(ctx, buf, num_bytes);  // BASP refuses it
  auto limit = established_ ? limits_.max_message_bytes : limits_.handshake_message_bytes;
  if (hdr.payload_len > limit) return refuse(ctx, hdr.payload_len, limit);
  bool handshake = caf::io::basp::is_handshake(hdr);
  bool more = scribe_impl::consume(ctx, buf, num_bytes);
  if (hdr.payload_len > 0) {
    next_ = framing::payload;
    payload_completes_ = handshake;
  } else if (handshake) {
    handshake_complete();
  }
  return more;
}

// Closes the connection as a read error would, before BASP sees the header.
bool guarded_scribe::refuse(caf::execution_unit* ctx, uint64_t payload_len, uint64_t limit) {
  mx_.note_refusal("a message of " + std::to_string(payload_len) + " bytes from " + peer() +
                   " (the limit is " + std::to_string(limit) + " bytes" +
                   (established_ ? "" : " before the handshake") + ")");
  io_failure(ctx, caf::io::network::operation::read);
  return false;
}

void guarded_scribe::handshake_complete() {
  if (established_) return;
  established_ = true;
  if (accepted_) mx_.unwatch(this);
}

}  // namespace nagare
