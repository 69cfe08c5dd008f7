#include "net/wire_limits.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/settings.hpp>

namespace nagare {

namespace {
constexpr caf::string_view max_message_key = "nagare.max-message-bytes";
constexpr caf::string_view handshake_message_key = "nagare.handshake-message-bytes";
constexpr caf::string_view handshake_timeout_key = "nagare.handshake-timeout";
constexpr caf::string_view max_handshaking_key = "nagare.max-handshaking";
}  // namespace

void put_wire_limits(caf::actor_system_config& cfg, const wire_limits& limits) {
  caf::put(cfg.content, max_message_key, limits.max_message_bytes);
  caf::put(cfg.content, handshake_message_key, limits.handshake_message_bytes);
  caf::put(cfg.content, handshake_timeout_key, caf::timespan{limits.handshake_timeout});
  caf::put(cfg.content, max_handshaking_key, uint64_t{limits.max_handshaking});
}

wire_limits wire_limits_of(const caf::actor_system_config& cfg) {
  wire_limits defaults, out;
  out.max_message_bytes = caf::get_or(cfg, max_message_key, defaults.max_message_bytes);
  out.handshake_message_bytes =
      caf::get_or(cfg, handshake_message_key, defaults.handshake_message_bytes);
  out.handshake_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      caf::get_or(cfg, handshake_timeout_key, caf::timespan{defaults.handshake_timeout}));
  out.max_handshaking = static_cast<uint32_t>(
      caf::get_or(cfg, max_handshaking_key, uint64_t{defaults.max_handshaking}));
  return out;
}

}  // namespace nagare
