#include "authz.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/local_actor.hpp>

#include "log.hpp"
#include "net/guarded_multiplexer.hpp"

namespace nagare {

namespace {

const char* needed_role(action what) {
  switch (what) {
    case action::read:
      return "any role";
    case action::operate:
      return "the operator or submitter role";
    case action::submit:
      return "the submitter role";
    case action::join:
      return "a node's certificate";
    case action::deploy:
      return "the coordinator's certificate";
    case action::internal:
      return "to come from this process";
  }
  return "";
}

bool allowed(peer_role role, action what) {
  switch (what) {
    case action::read:
      return role != peer_role::none;
    case action::operate:
      return role == peer_role::operator_ || role == peer_role::submitter ||
             role == peer_role::coordinator;
    case action::submit:
      return role == peer_role::submitter || role == peer_role::coordinator;
    case action::join:
      return role == peer_role::node;
    case action::deploy:
      return role == peer_role::coordinator;
    case action::internal:
      return false;
  }
  return false;
}

}  // namespace

peer_identity identify(caf::local_actor* self) {
  peer_identity who;
  const auto& sender = self->current_sender();
  if (!sender) return who;  // unknown: an anonymous message (or a promise took the sender)
  auto& sys = self->system();
  if (sender->node() == sys.node()) {
    who.how = peer_identity::kind::local;
    return who;
  }
  auto* mx = dynamic_cast<guarded_multiplexer*>(&sys.middleman().backend());
  if (!mx) return who;
  if (auto known = mx->peers().find(sender->node())) return *known;
  return who;
}

status authorize(const peer_identity& who, action what) {
  switch (who.how) {
    case peer_identity::kind::local:
      return {};
    case peer_identity::kind::plaintext:
      if (what != action::internal) return {};
      break;
    case peer_identity::kind::certificate:
      if (allowed(who.role, what)) return {};
      break;
    case peer_identity::kind::unknown:
      break;
  }
  return status(errc::permission_denied,
                std::string("needs ") + needed_role(what) + "; " + who.describe() + " has " +
                    (who.how == peer_identity::kind::certificate
                         ? std::string("the ") + to_string(who.role) + " role"
                         : std::string("none")));
}

status require(caf::local_actor* self, action what, const std::string& description) {
  return decide(identify(self), what, description);
}

status decide(const peer_identity& who, action what, const std::string& description) {
  auto verdict = authorize(who, what);
  if (!verdict.ok()) {
    NAGARE_LOG(warning, "audit") << "refused " << description << " for " << who.describe() << ": "
                                 << verdict.message();
    return status(errc::permission_denied, description + ": " + verdict.message());
  }
  if (what != action::read && what != action::internal)
    NAGARE_LOG(info, "audit") << "allowed " << description << " for " << who.describe();
  return verdict;
}

}  // namespace nagare
