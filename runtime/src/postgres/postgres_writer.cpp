// postgres_sink's writer without its record type (nagare/postgres_sink.hpp):
// rows buffered as COPY text and sent in batches on a data connection;
// exactly-once transactions prepared at barriers and finished on a second,
// control connection (COMMIT PREPARED cannot run inside the transaction the
// data connection may have open by then).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>

#include "postgres_sink_support.hpp"

namespace nagare::detail {

namespace {

// Appends `value` as a field of COPY's text format; false if it holds a NUL
// (which no PostgreSQL text can).
bool append_field(std::string& out, const std::string& value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\0':
        return false;
      default:
        out += c;
    }
  }
  return true;
}

constexpr size_t max_copy_bytes = 4u << 20;  // a batch is sent before it grows past this

}  // namespace

struct postgres_writer::impl {
  postgres_sink_config config;
  pg::endpoint where;
  std::string what;  // "postgresql://...?table=T (subtask S)", in errors
  std::string job;
  uint32_t subtask = 0;
  uint32_t parallelism = 1;
  pg::conn_ptr data;     // rows
  pg::conn_ptr control;  // exactly once: COMMIT / ROLLBACK PREPARED
  pg::sink_table table;
  bool in_transaction = false;  // exactly once: BEGIN sent since the last barrier
  bool stage_ready = false;     // upserts: the temporary stage exists
  std::string buffer;           // rows in COPY text format
  uint32_t rows = 0;            // rows in buffer
  uint64_t row_number = 0;      // upserts: orders a key's rows in a batch
  std::vector<pg::prepared_txn> pending;
  status failed;  // sticky: after an error the task fails, nothing more is written

  bool exactly_once() const { return config.delivery == postgres_delivery::exactly_once; }
  bool upserts() const { return !config.upsert_key.empty(); }

  status fail(status st) {
    if (failed.ok()) failed = std::move(st);
    data.reset();  // rolls back an open transaction
    in_transaction = false;
    stage_ready = false;
    buffer.clear();
    rows = 0;
    return failed;
  }

  status run(PGconn* conn, const std::string& sql, const std::string& doing) {
    auto res = pg::exec(conn, where, sql, {}, doing, errc::io_error);
    return res.ok() ? status{} : res.error();
  }

  status connect_data() {
    auto conn = pg::connect(where, config.timeout_ms);
    if (!conn.ok()) return conn.error();
    auto t = pg::inspect_table(conn->get(), config);
    if (!t.ok()) return t.error();
    data = std::move(conn.value());
    table = std::move(t.value());
    return {};
  }

  status ensure_control() {
    if (control && PQstatus(control.get()) == CONNECTION_OK) return {};
    auto conn = pg::connect(where, config.timeout_ms);
    if (!conn.ok()) return conn.error();
    control = std::move(conn.value());
    return {};
  }

  // COPY TARGET (COLUMNS) FROM STDIN with the buffer.
  status copy_in(const std::string& target, const std::string& columns) {
    PGconn* c = data.get();
    const std::string sql = "COPY " + target + " (" + columns + ") FROM STDIN";
    pg::result_ptr res{PQexec(c, sql.c_str())};
    if (!res || PQresultStatus(res.get()) != PGRES_COPY_IN)
      return pg::error_of(c, res.get(), where, "COPY into " + config.table, errc::io_error);
    if (PQputCopyData(c, buffer.data(), static_cast<int>(buffer.size())) != 1 ||
        PQputCopyEnd(c, nullptr) != 1)
      return pg::error_of(c, nullptr, where, "COPY into " + config.table, errc::io_error);
    status st;
    while (pg::result_ptr r{PQgetResult(c)})
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && st.ok())
        st = pg::error_of(c, r.get(), where, "COPY into " + config.table, errc::io_error);
    return st;
  }

  // Sends the buffered rows: into the open transaction (exactly once), in
  // an autocommit COPY (at least once), or through the stage (upserts).
  status flush() {
    if (rows == 0) return {};
    if (!data)
      if (auto st = connect_data(); !st.ok()) return st;
    status st;
    if (exactly_once()) {
      if (!in_transaction) {
        if (st = run(data.get(), "BEGIN", "BEGIN"); !st.ok()) return st;
        in_transaction = true;
      }
      st = copy_in(table.table, table.column_list);
    } else if (upserts()) {
      st = upsert_batch();
    } else {
      st = copy_in(table.table, table.column_list);
    }
    buffer.clear();
    rows = 0;
    return st;
  }

  status upsert_batch() {
    const std::string stage = std::string("pg_temp.") + pg::upsert_stage;
    if (!stage_ready) {
      auto st = run(data.get(),
                    "CREATE TEMPORARY TABLE IF NOT EXISTS " + std::string(pg::upsert_stage) +
                        " ON COMMIT DELETE ROWS AS SELECT " + table.column_list +
                        ", 0::bigint AS nagare_row FROM " + table.table + " WITH NO DATA",
                    "create the upsert stage");
      if (!st.ok()) return st;
      stage_ready = true;
    }
    if (auto st = run(data.get(), "BEGIN", "BEGIN"); !st.ok()) return st;
    auto st = copy_in(stage, table.column_list + ", nagare_row");
    if (st.ok()) st = run(data.get(), table.upsert, "upsert into " + config.table);
    if (st.ok()) return run(data.get(), "COMMIT", "COMMIT");
    return st;  // the caller fails, dropping the connection: rolled back
  }
};

postgres_writer::postgres_writer(postgres_sink_config config) : impl_(std::make_unique<impl>()) {
  impl_->config = std::move(config);
  impl_->where = pg::endpoint_of(impl_->config);
}

postgres_writer::~postgres_writer() = default;

status postgres_writer::open(const subtask_info& info) {
  auto& s = *impl_;
  s.subtask = info.subtask;
  s.parallelism = info.parallelism > 0 ? info.parallelism : 1;
  s.job = info.job_name;
  s.what = s.config.describe() + " (subtask " + std::to_string(info.subtask) + ")";
  if (auto st = s.connect_data(); !st.ok()) return s.fail(st);
  return {};
}

status postgres_writer::write(const std::vector<std::string>& row) {
  auto& s = *impl_;
  if (!s.failed.ok()) return s.failed;
  if (row.size() != s.table.columns.size())
    return s.fail(status::invalid_argument(s.what + ": a row has " + std::to_string(row.size()) +
                                           " value(s) for " +
                                           std::to_string(s.table.columns.size()) + " column(s)"));
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) s.buffer += '\t';
    if (!append_field(s.buffer, row[i]))
      return s.fail(status::invalid_argument(s.what + ": the value of column '" +
                                             s.table.columns[i] + "' holds a NUL byte"));
  }
  if (s.upserts()) s.buffer += '\t' + std::to_string(s.row_number++);
  s.buffer += '\n';
  if (++s.rows >= s.config.batch_rows || s.buffer.size() >= max_copy_bytes)
    if (auto st = s.flush(); !st.ok()) return s.fail(st);
  return {};
}

status postgres_writer::pre_commit(uint64_t checkpoint) {
  auto& s = *impl_;
  if (!s.failed.ok()) return s.failed;
  if (auto st = s.flush(); !st.ok()) return s.fail(st);
  if (!s.exactly_once() || !s.in_transaction) return {};
  pg::prepared_txn t{s.subtask, checkpoint,
                     pg::gid_of(s.job, s.config.table, s.subtask, checkpoint)};
  // A gid is plain ASCII without quotes (postgres_transactions.cpp).
  if (auto st = s.run(s.data.get(), "PREPARE TRANSACTION '" + t.gid + "'", "PREPARE TRANSACTION");
      !st.ok())
    return s.fail(st);
  s.in_transaction = false;
  s.pending.push_back(std::move(t));
  return {};
}

void postgres_writer::pending(std::vector<std::string>& out) const {
  for (const auto& t : impl_->pending) out.push_back(pg::encode_txn(t));
}

status postgres_writer::commit(uint64_t checkpoint) {
  auto& s = *impl_;
  if (!s.failed.ok()) return s.failed;
  size_t done = 0;
  for (; done < s.pending.size() && s.pending[done].checkpoint <= checkpoint; ++done) {
    if (auto st = s.ensure_control(); !st.ok()) return s.fail(st);
    if (auto st = pg::finish_prepared(s.control.get(), s.where, s.pending[done].gid, true);
        !st.ok())
      return s.fail(st);
  }
  s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<std::ptrdiff_t>(done));
  return {};
}

status postgres_writer::recover(const std::vector<std::string>& entries,
                                uint32_t previous_parallelism, const subtask_info& info) {
  auto& s = *impl_;
  if (!s.failed.ok()) return s.failed;
  const uint64_t restored = info.restored_checkpoint;
  if (!s.exactly_once()) {
    if (!entries.empty())
      return status::invalid_argument(s.what +
                                      ": the snapshot holds prepared transactions: restore "
                                      "with delivery exactly-once");
    return {};
  }
  if (auto st = s.ensure_control(); !st.ok()) return s.fail(st);
  // Commit this subtask's share of the restored checkpoint's transactions.
  std::set<std::string> restored_gids;
  size_t committed = 0, rolled_back = 0;
  for (const auto& e : entries) {
    pg::prepared_txn t;
    if (!pg::decode_txn(e, t))
      return s.fail(status(errc::corruption,
                           s.what + ": malformed transaction in the snapshot of checkpoint " +
                               std::to_string(restored)));
    if (t.checkpoint > restored)
      return s.fail(status(errc::corruption, s.what + ": the snapshot of checkpoint " +
                                                 std::to_string(restored) +
                                                 " holds a transaction of the later checkpoint " +
                                                 std::to_string(t.checkpoint)));
    restored_gids.insert(t.gid);
    if (t.subtask % s.parallelism != s.subtask) continue;
    if (auto st = pg::finish_prepared(s.control.get(), s.where, t.gid, true); !st.ok())
      return s.fail(st);
    ++committed;
  }
  // Roll back what the earlier writers this subtask answers for prepared
  // for checkpoints that never completed.
  std::vector<uint32_t> owned{s.subtask};
  for (uint32_t p = s.parallelism; p < previous_parallelism; ++p)
    if (p % s.parallelism == s.subtask) owned.push_back(p);
  for (uint32_t p : owned) {
    auto gids = pg::prepared_with_prefix(s.control.get(), s.where,
                                         pg::gid_prefix(s.job, s.config.table, p));
    if (!gids.ok()) return s.fail(gids.error());
    for (const auto& gid : gids.value()) {
      if (restored_gids.count(gid)) continue;
      if (auto st = pg::finish_prepared(s.control.get(), s.where, gid, false); !st.ok())
        return s.fail(st);
      ++rolled_back;
    }
  }
  if (committed + rolled_back > 0)
    std::fprintf(stderr,
                 "nagare: %s: restored checkpoint %" PRIu64
                 ": %zu prepared transaction(s) committed (or found committed), %zu rolled back\n",
                 s.what.c_str(), restored, committed, rolled_back);
  return {};
}

status postgres_writer::close() {
  auto& s = *impl_;
  status st;
  // Exactly once: an unprepared transaction is not sealed by a checkpoint
  // and is replayed after a restore; closing the connection rolls it back.
  if (s.failed.ok() && !s.exactly_once()) st = s.flush();
  s.data.reset();
  s.control.reset();
  s.in_transaction = false;
  s.buffer.clear();
  s.rows = 0;
  return st;
}

}  // namespace nagare::detail
