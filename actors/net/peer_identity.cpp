#include "net/peer_identity.hpp"

namespace nagare {

peer_role role_of_unit(const std::string& unit) {
  for (auto r : {peer_role::viewer, peer_role::operator_, peer_role::submitter, peer_role::node,
                 peer_role::coordinator})
    if (unit == to_string(r)) return r;
  return peer_role::none;
}

bool is_client_role(peer_role r) {
  return r == peer_role::viewer || r == peer_role::operator_ || r == peer_role::submitter;
}

const char* to_string(peer_role r) {
  switch (r) {
    case peer_role::viewer:
      return "viewer";
    case peer_role::operator_:
      return "operator";
    case peer_role::submitter:
      return "submitter";
    case peer_role::node:
      return "node";
    case peer_role::coordinator:
      return "coordinator";
    case peer_role::none:
      break;
  }
  return "none";
}

std::string peer_identity::describe() const {
  switch (how) {
    case kind::local:
      return "this process";
    case kind::plaintext:
      return "a plaintext peer at " + address;
    case kind::unknown:
      return "an unknown sender";
    case kind::certificate:
      break;
  }
  bool client = role != peer_role::node && role != peer_role::coordinator;  // none included
  return std::string(client ? "client" : to_string(role)) + " '" + name + "' (" +
         (client ? std::string(to_string(role)) + ", " : std::string()) + address + ")";
}

status peer_book::bind(const caf::node_id& node, const peer_identity& who) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& e = entries_[node];
  if (e.connections > 0 && (e.who.how != who.how || e.who.subject != who.subject))
    return status(errc::permission_denied,
                  "its node id is held by " + e.who.describe() + " already");
  if (e.connections == 0) e.who = who;
  ++e.connections;
  return {};
}

void peer_book::unbind(const caf::node_id& node) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto i = entries_.find(node);
  if (i == entries_.end()) return;
  if (--i->second.connections == 0) entries_.erase(i);
}

std::optional<peer_identity> peer_book::find(const caf::node_id& node) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto i = entries_.find(node);
  if (i == entries_.end()) return std::nullopt;
  return i->second.who;
}

}  // namespace nagare
