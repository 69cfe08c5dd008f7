// The client side of a lookup table (nagare/lookup.hpp): one connection to
// an external keyed table that answers many keys per round trip. Redis
// (runtime/src/redis/) and PostgreSQL (runtime/src/postgres/) implement it;
// a lookup's I/O thread drives it, so read() may block that thread (never a
// task's) for at most the timeout it was made with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nagare/connector_uri.hpp"
#include "nagare/owned.hpp"
#include "nagare/status.hpp"

namespace nagare::detail {

// How a table reader talks to its server.
struct table_reader_options {
  uint32_t batch_keys = 256;   // keys per command (MGET, HMGET, SELECT ... = ANY($1))
  uint32_t timeout_ms = 1000;  // connect and each round trip; longer is an error
};

class table_reader {
 public:
  virtual ~table_reader() = default;
  // Looks up every key of `keys` (any number: the reader splits them into
  // commands of at most batch_keys keys and pipelines the commands in one
  // round trip where the server allows). On success, values and found have
  // keys.size() entries: found[i] != 0 when keys[i] is in the table, with its
  // value in values[i]. Connects on first use; after an error the connection
  // is dropped and the next read connects again (the caller backs off).
  // Errors: errc::unavailable (cannot connect, connection lost, timed out),
  // errc::invalid_argument (the server refused the command: no such table or
  // column, a wrong type). Thread: one thread at a time.
  virtual status read(const std::vector<std::string>& keys, std::vector<std::string>& values,
                      std::vector<uint8_t>& found) = 0;
  // The table as logs name it ("redis 127.0.0.1:6379 hash customers").
  virtual std::string describe() const = 0;
};

// Whether URI option `name` is one the lookup itself takes (nagare/lookup.hpp):
// readers leave those to it.
inline bool is_lookup_option(const std::string& name) {
  for (const char* n : {"cache", "ttl", "cache_misses", "timeout", "batch", "in_flight", "retries",
                        "backoff", "order", "on_failure"})
    if (name == n) return true;
  return false;
}

// The readers of redis:// and postgresql:// URIs. Options of the URI that the
// lookup itself takes (is_lookup_option) are left to it; any other option the reader does not know is an invalid_argument naming
// it. Creating a reader does not connect.
//   redis://HOST:PORT?hash=H      HMGET H KEY...   (HGET semantics per key)
//   redis://HOST:PORT[?prefix=P]  MGET PKEY...     (GET semantics per key)
//   postgresql://[USER@]HOST:PORT/DB?table=T&key=K&value=V[,V2...]
//       prepared SELECT K::text, V::text... FROM T WHERE K::text = ANY($1); several
//       value columns come as one value, joined by ','; NULL is empty.
result<owned<table_reader>> make_redis_table_reader(const connector_uri& uri,
                                                    const table_reader_options& opts);
result<owned<table_reader>> make_postgres_table_reader(const connector_uri& uri,
                                                       const table_reader_options& opts);

}  // namespace nagare::detail
