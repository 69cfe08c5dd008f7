#include "pg_connection.hpp"

#include <poll.h>

#include <cerrno>
#include <cstring>

namespace nagare::detail::pg {

std::string endpoint::describe() const {
  return host + ":" + std::to_string(port) + "/" + database;
}

endpoint endpoint_of(const connector_uri& uri) {
  endpoint e;
  e.host = uri.host();
  e.port = uri.port();
  e.database = uri.database;
  e.user = uri.user;
  return e;
}

std::string one_line(const char* message) {
  std::string out;
  if (!message) return out;
  for (const char* p = message; *p; ++p) {
    if (*p == '\n' || *p == '\r') {
      if (!out.empty() && out.compare(out.size() - 2, 2, "; ") != 0) out += "; ";
    } else {
      out += *p;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

bool wait_socket(PGconn* conn, short events, clock::time_point deadline) {
  int fd = PQsocket(conn);
  if (fd < 0) return false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;  // readiness, or an error libpq reports when it reads
    if (n < 0 && errno != EINTR) return false;
  }
}

result<conn_ptr> connect(const endpoint& where, uint32_t timeout_ms) {
  const std::string port = std::to_string(where.port);
  // libpq's own limit is a backstop in whole seconds (at least 2); the poll
  // loop below keeps the real one.
  const std::string seconds = std::to_string(timeout_ms / 1000 + 2);
  const std::string user_timeout = std::to_string(timeout_ms < 1000 ? 1000 : timeout_ms);
  std::vector<const char*> keys{"host",
                                "port",
                                "dbname",
                                "connect_timeout",
                                "application_name",
                                "keepalives",
                                "keepalives_idle",
                                "keepalives_interval",
                                "keepalives_count",
                                "tcp_user_timeout"};
  std::vector<const char*> values{where.host.c_str(),
                                  port.c_str(),
                                  where.database.c_str(),
                                  seconds.c_str(),
                                  "nagare",
                                  "1",
                                  "10",
                                  "5",
                                  "3",
                                  user_timeout.c_str()};
  if (!where.user.empty()) {
    keys.push_back("user");
    values.push_back(where.user.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  auto fail = [&](const std::string& why) {
    return status(errc::unavailable, "postgresql " + where.describe() + ": cannot connect: " + why);
  };
  conn_ptr conn{PQconnectStartParams(keys.data(), values.data(), 0)};
  if (!conn) return fail("out of memory");
  if (PQstatus(conn.get()) == CONNECTION_BAD) return fail(one_line(PQerrorMessage(conn.get())));
  const auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
  for (PostgresPollingStatusType state = PGRES_POLLING_WRITING;;) {
    if (state == PGRES_POLLING_OK) break;
    if (state == PGRES_POLLING_FAILED) return fail(one_line(PQerrorMessage(conn.get())));
    short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (!wait_socket(conn.get(), events, deadline))
      return fail("no answer within " + std::to_string(timeout_ms) + " ms");
    state = PQconnectPoll(conn.get());
  }
  return conn;
}

std::string sqlstate_of(const PGresult* res) {
  const char* s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  return s ? s : "";
}

status error_of(PGconn* conn, const PGresult* res, const endpoint& where, const std::string& doing,
                errc refused) {
  std::string message = one_line(res ? PQresultErrorMessage(res) : nullptr);
  if (message.empty()) message = one_line(PQerrorMessage(conn));
  if (message.empty()) message = "unknown error";
  const std::string state = sqlstate_of(res);
  const bool lost = PQstatus(conn) == CONNECTION_BAD || state.compare(0, 2, "08") == 0 ||
                    state.compare(0, 3, "57P") == 0 || (res == nullptr && state.empty());
  return status(lost ? errc::unavailable : refused,
                "postgresql " + where.describe() + ": " + doing + ": " + message);
}

result<result_ptr> exec(PGconn* conn, const endpoint& where, const std::string& sql,
                        const std::vector<std::string>& params, const std::string& doing,
                        errc refused) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  result_ptr res{PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0)};
  auto st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;
  return error_of(conn, res.get(), where, doing, refused);
}

namespace {

bool valid_part(const std::string& s, size_t begin, size_t end) {
  if (begin >= end || end - begin > 63) return false;
  if (s[begin] >= '0' && s[begin] <= '9') return false;
  for (size_t i = begin; i < end; ++i) {
    char c = s[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  for (size_t begin = 0;;) {
    auto at = s.find(',', begin);
    out.push_back(s.substr(begin, at == std::string::npos ? at : at - begin));
    if (at == std::string::npos) return out;
    begin = at + 1;
  }
}

bool valid_identifier(const std::string& name) {
  auto dot = name.find('.');
  if (dot == std::string::npos) return valid_part(name, 0, name.size());
  return name.find('.', dot + 1) == std::string::npos && valid_part(name, 0, dot) &&
         valid_part(name, dot + 1, name.size());
}

result<std::string> quote_identifier(PGconn* conn, const endpoint& where, const std::string& name) {
  std::string out;
  size_t begin = 0;
  for (;;) {
    auto dot = name.find('.', begin);
    std::string part = name.substr(begin, dot == std::string::npos ? dot : dot - begin);
    char* quoted = PQescapeIdentifier(conn, part.c_str(), part.size());
    if (!quoted)
      return status(errc::invalid_argument, "postgresql " + where.describe() + ": cannot quote '" +
                                                name + "': " + one_line(PQerrorMessage(conn)));
    out += quoted;
    PQfreemem(quoted);
    if (dot == std::string::npos) return out;
    out += '.';
    begin = dot + 1;
  }
}

}  // namespace nagare::detail::pg
