// Writing a stream into a PostgreSQL table, one text value per column.
//
//   stream.sink(nagare::postgres_sink<order>(
//       config,  // from detail::postgres_output_of(uri), or filled in code
//       [](const order& o, std::vector<std::string>& row) {
//         row.push_back(o.id);                 // in the order of config.columns
//         row.push_back(std::to_string(o.total));
//       }));
//
// URI: postgresql://[USER@]HOST:PORT/DB?table=T[&columns=A,B,C]
//          [&delivery=exactly-once|at-least-once][&upsert=K[,K2...]]
//   table=T        the table (letters, digits, '_'; "schema.table" allowed;
//                  names are quoted, so case counts)
//   columns=A,B,C  the columns the row formatter fills, in its order
//                  (default: all the table's columns in their order)
//   delivery=      exactly-once (the default) or at-least-once
//   upsert=K,...   at-least-once upserts: INSERT ... ON CONFLICT (K...) DO
//                  UPDATE SET every other column = EXCLUDED's (a unique
//                  index on K... must exist); a replayed row overwrites
//                  itself, so the table ends as if written once
// The password, if any, comes from PGPASSWORD or ~/.pgpass.
//
// Values are PostgreSQL's text input for each column's type ("42",
// "2024-05-01 12:00:00+00", "t"); there is no NULL (leave a column out of
// columns= for its default). Rows are sent with COPY ... FROM STDIN in
// batches.
//
// Delivery:
//   exactly_once   Each subtask writes in one database transaction per
//                  checkpoint: begun at the first row after a barrier,
//                  sealed at the barrier with PREPARE TRANSACTION 'GID', and
//                  committed (COMMIT PREPARED, from a second connection) once
//                  the checkpoint completed. GID is
//                    nagare/JOB/TABLE/SUBTASK/CHECKPOINT
//                  (JOB and TABLE %XX-escaped outside [A-Za-z0-9_.-]; a long
//                  job name is shortened with a hash). The prepared GIDs not
//                  yet committed are the sink's snapshot. A restore commits
//                  the restored checkpoint's GIDs (a GID gone from
//                  pg_prepared_xacts was committed before) and rolls back
//                  every other prepared transaction named after this job,
//                  table and a subtask it takes over: their checkpoints never
//                  completed. The server needs max_prepared_transactions > 0
//                  (validate() checks), and two jobs writing one table need
//                  two job names. Readers see a checkpoint's rows at once,
//                  when it completes.
//   at_least_once  COPY in autocommit batches, flushed at every barrier and
//                  at close: a restore writes the rows since the checkpoint
//                  again (unless upsert= makes that harmless).
// A lost connection fails the task with errc::unavailable; the job restarts
// from its latest checkpoint (committing a prepared GID again is harmless).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/connector_uri.hpp"
#include "nagare/delivery_guarantee.hpp"
#include "nagare/detail/serializing_sink.hpp"
#include "nagare/function.hpp"
#include "nagare/owned.hpp"
#include "nagare/sink.hpp"
#include "nagare/status.hpp"

namespace nagare {

enum class postgres_delivery : uint8_t { exactly_once, at_least_once };

// What a PostgreSQL sink writes where, as data.
struct postgres_sink_config {
  std::string host;                  // the server
  uint16_t port = 5432;              //
  std::string database;              //
  std::string user;                  // "": libpq's default (PGUSER, the login name)
  std::string table;                 // required; [SCHEMA.]TABLE
  std::vector<std::string> columns;  // empty: the table's columns, in order
  postgres_delivery delivery = postgres_delivery::exactly_once;
  std::vector<std::string> upsert_key;  // non-empty: upserts (at_least_once only)
  uint32_t batch_rows = 1000;           // rows per COPY
  uint32_t timeout_ms = 10000;          // connecting; also TCP's limit for an unacked send

  // "postgresql://[USER@]HOST:PORT/DB?table=T", for messages.
  std::string describe() const;
};

namespace detail {

// The config of a postgresql:// output URI (options above); an unknown or
// malformed option is an invalid_argument naming it. Does not connect.
result<postgres_sink_config> postgres_output_of(const connector_uri& uri);

// postgres_sink's checks, compiled into libnagare: the options are
// consistent, the server answers, the table and columns exist, an upsert
// key is among the columns, and for exactly-once the server allows
// prepared transactions.
status validate_postgres_sink(const postgres_sink_config& config);

// The exactly-once check on `SHOW max_prepared_transactions`'s answer
// `shown` (a seam: tests cannot restart their server with another setting).
status check_max_prepared_transactions(const postgres_sink_config& config,
                                       const std::string& shown);

// One sink subtask's connections (runtime/src/postgres/postgres_writer.cpp):
// the writer of postgres_sink without its record type. Same call order as
// sink<T>, from the task's thread only.
class postgres_writer {
 public:
  explicit postgres_writer(postgres_sink_config config);
  ~postgres_writer();
  postgres_writer(const postgres_writer&) = delete;
  postgres_writer& operator=(const postgres_writer&) = delete;

  status open(const subtask_info& info);
  // One row: a text value per column. The vector's contents stay the caller's.
  status write(const std::vector<std::string>& row);
  status pre_commit(uint64_t checkpoint);
  void pending(std::vector<std::string>& out) const;
  status commit(uint64_t checkpoint);
  status recover(const std::vector<std::string>& entries, uint32_t previous_parallelism,
                 const subtask_info& info);
  status close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace detail

template <class T>
class postgres_sink {
 public:
  using record_type = T;
  // Fills one text value per column, in the order of the columns; the sink
  // clears the vector before each call.
  using row_formatter = function<void(const T&, std::vector<std::string>&)>;

  postgres_sink(postgres_sink_config config, row_formatter format)
      : config_(std::move(config)), format_(std::move(format)) {}

  postgres_sink& delivery(postgres_delivery d) {
    config_.delivery = d;
    return *this;
  }
  postgres_sink& columns(std::vector<std::string> names) {
    config_.columns = std::move(names);
    return *this;
  }
  // Upserts on `key` (at-least-once: sets the delivery too).
  postgres_sink& upsert(std::vector<std::string> key) {
    config_.upsert_key = std::move(key);
    config_.delivery = postgres_delivery::at_least_once;
    return *this;
  }
  postgres_sink& batch_rows(uint32_t rows) {
    config_.batch_rows = rows;
    return *this;
  }
  const postgres_sink_config& config() const { return config_; }

  std::string name() const { return "postgresql sink"; }
  delivery_guarantee guarantee() const {
    return config_.delivery == postgres_delivery::exactly_once ? delivery_guarantee::exactly_once
                                                               : delivery_guarantee::at_least_once;
  }
  status validate() const { return detail::validate_postgres_sink(config_); }
  owned<sink<T>> create() const {
    return make_owned<
        detail::serializing_sink<T, detail::postgres_writer, std::vector<std::string>>>(config_,
                                                                                        format_);
  }

 private:
  postgres_sink_config config_;
  row_formatter format_;
};

}  // namespace nagare
