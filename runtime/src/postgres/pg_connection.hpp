// libpq for the PostgreSQL connectors (runtime/src/postgres/): connecting
// from a postgresql:// URI within a time limit, owners of PGconn and
// PGresult, statuses from libpq's errors, and identifier checks. Private to
// libnagare: nothing public includes libpq-fe.h.
//
// Errors are one line and name the server ("postgresql HOST:PORT/DB: ...").
// A lost or unreachable server is errc::unavailable; a statement the server
// refused gets the code the caller passes (the table reader's
// invalid_argument, the sink's io_error).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nagare/connector_uri.hpp"
#include "nagare/status.hpp"

namespace nagare::detail::pg {

struct conn_deleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_deleter>;

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

using clock = std::chrono::steady_clock;

// Where a connection goes. user "" is libpq's default (PGUSER, the login);
// the password comes from PGPASSWORD or ~/.pgpass, never from here.
struct endpoint {
  std::string host;
  uint16_t port = 0;
  std::string database;
  std::string user;

  // "HOST:PORT/DB", as messages name the server.
  std::string describe() const;
};

// The endpoint of a parsed postgresql:// URI.
endpoint endpoint_of(const connector_uri& uri);

// Connects within `timeout_ms` (application_name=nagare, TCP keepalives so
// that a server that vanishes is noticed). The connection comes back in
// blocking mode. Errors: errc::unavailable naming the server.
result<conn_ptr> connect(const endpoint& where, uint32_t timeout_ms);

// A libpq message on one line: trailing space gone, inner newlines "; ".
std::string one_line(const char* message);

// The status of a failed statement (`res` may be null: the connection's
// message then). unavailable when the connection is gone or the server says
// so (SQLSTATE classes 08 and 57P); otherwise `refused`. `doing`: what was
// done, for the message ("postgresql HOST:PORT/DB: DOING: MESSAGE").
status error_of(PGconn* conn, const PGresult* res, const endpoint& where, const std::string& doing,
                errc refused);

// The SQLSTATE of a failed result ("" if none).
std::string sqlstate_of(const PGresult* res);

// Runs `sql` with text parameters in blocking mode; ok when the result is
// PGRES_COMMAND_OK or PGRES_TUPLES_OK.
result<result_ptr> exec(PGconn* conn, const endpoint& where, const std::string& sql,
                        const std::vector<std::string>& params, const std::string& doing,
                        errc refused);

// Whether `name` is an identifier the connectors accept: letters, digits
// and '_' (not starting with a digit), optionally schema-qualified with one
// '.'. Quoting keeps its case: a table created as `CREATE TABLE Orders` is
// `orders`.
bool valid_identifier(const std::string& name);

// "a,b,c" -> {"a", "b", "c"} (the lists of URI options: columns, keys).
std::vector<std::string> split_commas(const std::string& s);

// `name` (REQUIRES: valid_identifier(name)) quoted with PQescapeIdentifier,
// each part on its own ("s"."t").
result<std::string> quote_identifier(PGconn* conn, const endpoint& where, const std::string& name);

// Waits until the connection's socket is ready for `events` (POLLIN,
// POLLOUT) or `deadline` passes; false on timeout or a dead socket.
bool wait_socket(PGconn* conn, short events, clock::time_point deadline);

}  // namespace nagare::detail::pg
