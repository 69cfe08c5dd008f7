// What postgres_sink's writer (postgres_writer.cpp) and its checks
// (postgres_output.cpp) share: the table as the sink writes it, and the
// prepared transactions of exactly-once delivery
// (postgres_transactions.cpp). Private to libnagare.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nagare/postgres_sink.hpp"
#include "pg_connection.hpp"

namespace nagare::detail::pg {

// The endpoint of a sink's config.
endpoint endpoint_of(const postgres_sink_config& config);

// The table and columns as SQL, checked against the server.
struct sink_table {
  std::string table;                 // quoted
  std::vector<std::string> columns;  // the columns written, unquoted, in row order
  std::string column_list;           // quoted, comma-separated: "a", "b"
  std::string upsert;                // upserts: the INSERT ... ON CONFLICT from the stage
};

// Checks the config's table and columns on `conn` and resolves the default
// columns. Errors: invalid_argument (no such table or column, an upsert key
// not written), unavailable (the connection).
result<sink_table> inspect_table(PGconn* conn, const postgres_sink_config& config);

// The name of the temporary table upserts go through.
constexpr const char* upsert_stage = "nagare_upsert_stage";

// Transaction names: "nagare/JOB/TABLE/SUBTASK/" and that plus CHECKPOINT.
std::string gid_prefix(const std::string& job, const std::string& table, uint32_t subtask);
std::string gid_of(const std::string& job, const std::string& table, uint32_t subtask,
                   uint64_t checkpoint);

// A pending transaction: the sink's snapshot entry.
struct prepared_txn {
  uint32_t subtask = 0;
  uint64_t checkpoint = 0;
  std::string gid;
};
std::string encode_txn(const prepared_txn& t);
bool decode_txn(const std::string& entry, prepared_txn& out);

// COMMIT PREPARED or ROLLBACK PREPARED `gid` on `conn` (outside any
// transaction). A gid the server does not know is done already: ok.
status finish_prepared(PGconn* conn, const endpoint& where, const std::string& gid, bool commit);

// The gids of the prepared transactions of `conn`'s database that start
// with `prefix`.
result<std::vector<std::string>> prepared_with_prefix(PGconn* conn, const endpoint& where,
                                                      const std::string& prefix);

}  // namespace nagare::detail::pg
