// Who is at the other end of a connection, and the book of who holds which
// node id. BASP lets a peer claim any node id in its handshake, and every
// actor it then speaks for carries that id; so each id is bound to the
// certificate of the one connection that claimed it first (peer_book::bind),
// and a message's sender is known by its node id (authz.hpp: identify).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <caf/node_id.hpp>

#include "nagare/status.hpp"

namespace nagare {

// What a certificate's organizational unit makes its holder.
enum class peer_role : uint8_t { none, viewer, operator_, submitter, node, coordinator };

// "viewer", ... from a certificate's OU; none for any other text.
peer_role role_of_unit(const std::string& unit);
const char* to_string(peer_role r);
// A person's or a tool's role: viewer, operator or submitter.
bool is_client_role(peer_role r);

struct peer_identity {
  enum class kind : uint8_t {
    local,        // an actor of this process
    certificate,  // a peer whose certificate the cluster's CA signed
    plaintext,    // a loopback peer of a process without TLS
    unknown,      // no sender, or a node id no connection holds
  };
  kind how = kind::unknown;
  std::string name;     // the certificate's common name
  std::string subject;  // the whole certificate subject
  peer_role role = peer_role::none;
  std::string address;  // HOST:PORT of the connection

  // "client 'alice' (operator) at 10.0.0.5:51234", "this process", ...
  std::string describe() const;
};

// The node ids bound to connections; thread-safe (the multiplexer binds,
// actors look up).
class peer_book {
 public:
  // Binds `node` to `who` (one more connection holding it). Refused when
  // another certificate holds the id.
  status bind(const caf::node_id& node, const peer_identity& who);
  // One connection holding `node` is gone.
  void unbind(const caf::node_id& node);
  std::optional<peer_identity> find(const caf::node_id& node) const;

 private:
  struct entry {
    peer_identity who;
    uint32_t connections = 0;
  };
  mutable std::mutex mutex_;
  std::map<caf::node_id, entry> entries_;
};

}  // namespace nagare
