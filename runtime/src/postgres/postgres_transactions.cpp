// The prepared transactions of postgres_sink's exactly-once delivery: their
// names, their snapshot entries, committing and rolling them back
// (nagare/postgres_sink.hpp describes the protocol).
#include <cinttypes>
#include <cstdio>
#include <tuple>

#include "nagare/codec.hpp"
#include "nagare/hash.hpp"
#include "nagare/tuple.hpp"
#include "postgres_sink_support.hpp"

namespace nagare::detail::pg {

namespace {

using entry_codec = codec<std::tuple<uint32_t, uint64_t, std::string>>;

// PostgreSQL's limit on a gid is 199 bytes; the job name gets at most this.
constexpr size_t max_job_part = 96;

// `s` with every byte outside [A-Za-z0-9_.-] as %XX: no '/' (the gid's
// separator), no quote, no LIKE wildcard, one spelling per name.
std::string escaped(const std::string& s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '-';
    if (plain) {
      out += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string job_part(const std::string& job) {
  std::string e = escaped(job);
  if (e.size() <= max_job_part) return e;
  char hash[24];
  std::snprintf(hash, sizeof hash, "~%016" PRIx64, hash_bytes(job.data(), job.size()));
  return e.substr(0, max_job_part - 17) + hash;
}

}  // namespace

std::string gid_prefix(const std::string& job, const std::string& table, uint32_t subtask) {
  return "nagare/" + job_part(job) + "/" + escaped(table) + "/" + std::to_string(subtask) + "/";
}

std::string gid_of(const std::string& job, const std::string& table, uint32_t subtask,
                   uint64_t checkpoint) {
  return gid_prefix(job, table, subtask) + std::to_string(checkpoint);
}

std::string encode_txn(const prepared_txn& t) {
  std::string out;
  entry_codec::encode({t.subtask, t.checkpoint, t.gid}, out);
  return out;
}

bool decode_txn(const std::string& entry, prepared_txn& out) {
  std::tuple<uint32_t, uint64_t, std::string> t;
  byte_reader in(entry.data(), entry.size());
  if (!entry_codec::decode(in, t) || in.remaining() != 0) return false;
  std::tie(out.subtask, out.checkpoint, out.gid) = std::move(t);
  return out.gid.compare(0, 7, "nagare/") == 0;
}

status finish_prepared(PGconn* conn, const endpoint& where, const std::string& gid, bool commit) {
  // A gid is plain ASCII without quotes (escaped() above): safe as a literal.
  std::string sql = std::string(commit ? "COMMIT" : "ROLLBACK") + " PREPARED '" + gid + "'";
  result_ptr res{PQexec(conn, sql.c_str())};
  if (res && PQresultStatus(res.get()) == PGRES_COMMAND_OK) return {};
  // 42704 undefined_object: no such prepared transaction (finished before).
  if (res && sqlstate_of(res.get()) == "42704") return {};
  return error_of(conn, res.get(), where, sql, errc::io_error);
}

result<std::vector<std::string>> prepared_with_prefix(PGconn* conn, const endpoint& where,
                                                      const std::string& prefix) {
  auto res = exec(conn, where,
                  "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND "
                  "starts_with(gid, $1) ORDER BY gid",
                  {prefix}, "list the prepared transactions", errc::io_error);
  if (!res.ok()) return res.error();
  std::vector<std::string> gids;
  for (int r = 0; r < PQntuples(res->get()); ++r) gids.emplace_back(PQgetvalue(res->get(), r, 0));
  return gids;
}

}  // namespace nagare::detail::pg
