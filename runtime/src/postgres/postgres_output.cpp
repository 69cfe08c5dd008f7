// postgres_sink's configuration: the options of a postgresql:// output URI,
// the checks before a job starts, and the table as the writer sees it
// (nagare/postgres_sink.hpp).
#include "postgres_sink_support.hpp"

namespace nagare {

std::string postgres_sink_config::describe() const {
  return "postgresql://" + (user.empty() ? std::string() : user + "@") + host + ":" +
         std::to_string(port) + "/" + database + "?table=" + table;
}

namespace detail {

namespace {

bool is_column_name(const std::string& s) {
  return pg::valid_identifier(s) && s.find('.') == std::string::npos;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& e : v)
    if (e == s) return true;
  return false;
}

// The checks that need no server.
status check_config(const postgres_sink_config& c) {
  auto bad = [&](const std::string& why) {
    return status::invalid_argument(c.describe() + ": " + why);
  };
  if (c.table.empty()) return bad("no table");
  if (!pg::valid_identifier(c.table)) return bad("'" + c.table + "' is not a table name");
  for (const auto& col : c.columns)
    if (!is_column_name(col)) return bad("'" + col + "' is not a column name");
  for (const auto& col : c.upsert_key)
    if (!is_column_name(col)) return bad("'" + col + "' is not a column name");
  if (!c.upsert_key.empty() && c.delivery == postgres_delivery::exactly_once)
    return bad("upserts are at-least-once: use delivery=at-least-once with upsert=");
  if (c.batch_rows == 0) return bad("batch_rows is 0");
  return {};
}

}  // namespace

result<postgres_sink_config> postgres_output_of(const connector_uri& uri) {
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("output '" + uri.text + "': " + why);
  };
  if (uri.type != connector_uri::kind::postgresql) return bad("not a postgresql:// URI");
  postgres_sink_config c;
  c.host = uri.host();
  c.port = uri.port();
  c.database = uri.database;
  c.user = uri.user;
  bool delivery_given = false;
  for (const auto& [name, value] : uri.options) {
    if (name == "table") {
      c.table = value;
    } else if (name == "columns") {
      c.columns = pg::split_commas(value);
    } else if (name == "upsert") {
      c.upsert_key = pg::split_commas(value);
    } else if (name == "delivery") {
      delivery_given = true;
      if (value == "exactly-once")
        c.delivery = postgres_delivery::exactly_once;
      else if (value == "at-least-once")
        c.delivery = postgres_delivery::at_least_once;
      else
        return bad("delivery='" + value + "' is not exactly-once or at-least-once");
    } else {
      return bad("unknown option '" + name + "' (table, columns, delivery, upsert)");
    }
  }
  if (c.table.empty()) return bad("no table= option");
  if (!c.upsert_key.empty()) {
    if (delivery_given && c.delivery == postgres_delivery::exactly_once)
      return bad("upsert= is at-least-once: drop delivery=exactly-once");
    c.delivery = postgres_delivery::at_least_once;
  }
  if (auto st = check_config(c); !st.ok()) return st;
  return c;
}

status check_max_prepared_transactions(const postgres_sink_config& config,
                                       const std::string& shown) {
  if (config.delivery != postgres_delivery::exactly_once) return {};
  if (!shown.empty() && shown.find_first_not_of("0123456789") == std::string::npos &&
      std::stoul(shown) > 0)
    return {};
  return status::invalid_argument(
      config.describe() +
      ": the sink's exactly-once delivery needs max_prepared_transactions > 0 on the server (it "
      "is " +
      shown +
      "; set it in postgresql.conf and restart, or use delivery=at-least-once with upsert=KEY)");
}

status validate_postgres_sink(const postgres_sink_config& config) {
  if (auto st = check_config(config); !st.ok()) return st;
  const auto where = pg::endpoint_of(config);
  auto conn = pg::connect(where, config.timeout_ms);
  if (!conn.ok()) return conn.error();
  auto table = pg::inspect_table(conn->get(), config);
  if (!table.ok()) return table.error();
  if (!table->upsert.empty()) {
    // The same INSERT against no rows: the server checks the conflict target.
    auto res =
        pg::exec(conn->get(), where,
                 "EXPLAIN INSERT INTO " + table->table + " (" + table->column_list + ") SELECT " +
                     table->column_list + " FROM " + table->table + " WHERE false" +
                     table->upsert.substr(table->upsert.find(" ON CONFLICT")),
                 {}, "check the upsert key", errc::invalid_argument);
    if (!res.ok()) return res.error();
  }
  if (config.delivery == postgres_delivery::exactly_once) {
    auto res = pg::exec(conn->get(), where, "SHOW max_prepared_transactions", {},
                        "SHOW max_prepared_transactions", errc::invalid_argument);
    if (!res.ok()) return res.error();
    return check_max_prepared_transactions(config, PQgetvalue(res->get(), 0, 0));
  }
  return {};
}

}  // namespace detail

namespace detail::pg {

endpoint endpoint_of(const postgres_sink_config& config) {
  endpoint e;
  e.host = config.host;
  e.port = config.port;
  e.database = config.database;
  e.user = config.user;
  return e;
}

result<sink_table> inspect_table(PGconn* conn, const postgres_sink_config& config) {
  const auto where = endpoint_of(config);
  auto bad = [&](const std::string& why) {
    return status::invalid_argument(config.describe() + ": " + why);
  };
  sink_table t;
  auto table = quote_identifier(conn, where, config.table);
  if (!table.ok()) return table.error();
  t.table = std::move(table.value());
  auto res = exec(conn, where,
                  "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND "
                  "a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                  {t.table}, "read the table's columns", errc::invalid_argument);
  if (!res.ok()) return res.error();
  std::vector<std::string> existing;
  for (int r = 0; r < PQntuples(res->get()); ++r)
    existing.emplace_back(PQgetvalue(res->get(), r, 0));
  if (existing.empty()) return bad("no table " + config.table + " (or it has no columns)");
  t.columns = config.columns.empty() ? existing : config.columns;
  std::vector<std::string> quoted;
  for (const auto& col : t.columns) {
    if (!contains(existing, col)) return bad("the table has no column '" + col + "'");
    auto q = quote_identifier(conn, where, col);
    if (!q.ok()) return q.error();
    if (!t.column_list.empty()) t.column_list += ", ";
    t.column_list += q.value();
    quoted.push_back(std::move(q.value()));
  }
  if (config.upsert_key.empty()) return t;

  std::string keys, updates;
  for (const auto& k : config.upsert_key)
    if (!contains(t.columns, k)) return bad("the upsert key '" + k + "' is not a column written");
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (contains(config.upsert_key, t.columns[i])) {
      if (!keys.empty()) keys += ", ";
      keys += quoted[i];
    } else {
      if (!updates.empty()) updates += ", ";
      updates += quoted[i] + " = EXCLUDED." + quoted[i];
    }
  }
  // The last row of a key in a batch wins (DISTINCT ON keeps the first of
  // each key in nagare_row DESC order).
  t.upsert = "INSERT INTO " + t.table + " (" + t.column_list + ") SELECT DISTINCT ON (" + keys +
             ") " + t.column_list + " FROM pg_temp." + upsert_stage + " ORDER BY " + keys +
             ", nagare_row DESC ON CONFLICT (" + keys + ") DO " +
             (updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
  return t;
}

}  // namespace detail::pg

}  // namespace nagare
