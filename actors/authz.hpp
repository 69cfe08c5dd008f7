// Who may ask what, and the audit log of what was asked.
//
// A request's sender is known by its node id (net/peer_identity.hpp): an
// actor of this process, a peer whose certificate the cluster's CA signed,
// or, without TLS, a plaintext peer on loopback (a development cluster of
// one user: it may do everything, which the daemons say when they start).
// A certificate's role decides:
//
//   read      list and inspect                   any role
//   operate   cancel, stop, checkpoint,          operator, submitter
//             savepoint, kill
//   submit    submit a job library (code that    submitter
//             runs on the nodes)
//   join      register a node, fetch a library   node
//   deploy    deploy tasks onto a node           coordinator
//   internal  job masters' reports               this process only
//
// Every allowed and every refused action but reads is logged (component
// "audit") with what was asked and who asked, as "CN (ROLE, HOST:PORT)".
#pragma once

#include <string>

#include <caf/fwd.hpp>

#include "nagare/status.hpp"
#include "net/peer_identity.hpp"

namespace nagare {

enum class action : uint8_t { read, operate, submit, join, deploy, internal };

// The sender of the message `self` is handling.
peer_identity identify(caf::local_actor* self);

// ok, or permission_denied naming the role the action needs.
status authorize(const peer_identity& who, action what);

// authorize, and the audit line: "allowed WHAT for WHO" or "refused WHAT
// for WHO: why". `description` names the request ("cancel job 3").
status decide(const peer_identity& who, action what, const std::string& description);

// decide for the sender of the message `self` is handling. Call it before
// make_response_promise, which takes the message's sender.
status require(caf::local_actor* self, action what, const std::string& description);

}  // namespace nagare
