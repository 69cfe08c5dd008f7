// The table reader of postgresql:// URIs (nagare/table_reader.hpp): one
// prepared SELECT per batch of keys, all batches of a read() pipelined in one
// round trip (libpq's pipeline mode), in non-blocking mode so that a silent
// server costs at most the timeout.
//
// Keys are compared as text: `WHERE K::text = ANY($1::text[])`. Any key type
// works and a key that is no valid value of K's type is simply not found
// (instead of failing the batch). An index on K serves it when K is text or
// varchar; for other types (integers, uuid) create one on the expression:
//   CREATE INDEX ON T ((K::text));
// If several rows have one key, one of them answers.
#include <poll.h>

#include <string_view>
#include <unordered_map>

#include "nagare/table_reader.hpp"
#include "pg_connection.hpp"

namespace nagare::detail {

namespace {

constexpr const char* statement_name = "nagare_lookup";

// Appends `key` to a PostgreSQL array literal as a quoted element.
void append_element(std::string& literal, const std::string& key) {
  literal += '"';
  for (char c : key) {
    if (c == '"' || c == '\\') literal += '\\';
    literal += c;
  }
  literal += '"';
}

class postgres_table_reader final : public table_reader {
 public:
  postgres_table_reader(pg::endpoint where, std::string table, std::string key,
                        std::vector<std::string> values, const table_reader_options& opts)
      : where_(std::move(where)),
        table_(std::move(table)),
        key_(std::move(key)),
        values_(std::move(values)),
        opts_(opts) {
    if (opts_.batch_keys == 0) opts_.batch_keys = 1;
  }

  std::string describe() const override {
    return "postgresql " + where_.describe() + " table " + table_;
  }

  status read(const std::vector<std::string>& keys, std::vector<std::string>& values,
              std::vector<uint8_t>& found) override {
    values.assign(keys.size(), std::string());
    found.assign(keys.size(), 0);
    // PostgreSQL text holds no NUL: such a key is in no table.
    std::vector<size_t> asked;
    asked.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i].find('\0') == std::string::npos) asked.push_back(i);
    if (asked.empty()) return {};
    if (!conn_)
      if (auto st = connect(); !st.ok()) return st;
    auto st = round_trip(keys, asked, values, found);
    if (!st.ok()) conn_.reset();  // the next read connects again
    return st;
  }

 private:
  status connect() {
    auto conn = pg::connect(where_, opts_.timeout_ms);
    if (!conn.ok()) return conn.error();
    auto table = pg::quote_identifier(conn->get(), where_, table_);
    auto key = pg::quote_identifier(conn->get(), where_, key_);
    if (!table.ok()) return table.error();
    if (!key.ok()) return key.error();
    std::string sql = "SELECT " + *key + "::text";
    for (const auto& v : values_) {
      auto quoted = pg::quote_identifier(conn->get(), where_, v);
      if (!quoted.ok()) return quoted.error();
      sql += ", " + *quoted + "::text";
    }
    sql += " FROM " + *table + " WHERE " + *key + "::text = ANY($1::text[])";
    if (PQsetnonblocking(conn->get(), 1) != 0)
      return status(errc::unavailable, "postgresql " + where_.describe() +
                                           ": cannot use non-blocking mode: " +
                                           pg::one_line(PQerrorMessage(conn->get())));
    conn_ = std::move(conn.value());
    select_ = std::move(sql);
    prepared_ = false;
    return {};
  }

  status lost(const std::string& why) const {
    return status(errc::unavailable, "postgresql " + where_.describe() + ": lookup: " + why);
  }

  // The next result of the pipeline, waiting at most until `deadline`
  // (null: the end of one query's results). false: timed out or lost.
  bool next_result(pg::clock::time_point deadline, pg::result_ptr& out) {
    for (;;) {
      int flushed = PQflush(conn_.get());
      if (flushed < 0) return false;
      if (PQconsumeInput(conn_.get()) == 0) return false;
      if (!PQisBusy(conn_.get())) {
        out.reset(PQgetResult(conn_.get()));
        return true;
      }
      short events = POLLIN | (flushed == 1 ? POLLOUT : 0);
      if (!pg::wait_socket(conn_.get(), events, deadline)) return false;
    }
  }

  status round_trip(const std::vector<std::string>& keys, const std::vector<size_t>& asked,
                    std::vector<std::string>& values, std::vector<uint8_t>& found) {
    const auto deadline = pg::clock::now() + std::chrono::milliseconds(opts_.timeout_ms);
    PGconn* c = conn_.get();
    auto refused = [&](const PGresult* res, const char* doing) {
      return pg::error_of(c, res, where_, doing, errc::invalid_argument);
    };
    if (PQenterPipelineMode(c) == 0) return refused(nullptr, "cannot enter pipeline mode");
    const bool prepare = !prepared_;
    if (prepare && PQsendPrepare(c, statement_name, select_.c_str(), 1, nullptr) == 0)
      return refused(nullptr, "prepare");
    const size_t batch = opts_.batch_keys;
    const size_t batches = (asked.size() + batch - 1) / batch;
    std::string literal;
    for (size_t b = 0; b < batches; ++b) {
      literal.assign(1, '{');
      for (size_t i = b * batch; i < asked.size() && i < (b + 1) * batch; ++i) {
        if (i > b * batch) literal += ',';
        append_element(literal, keys[asked[i]]);
      }
      literal += '}';
      const char* param = literal.c_str();
      if (PQsendQueryPrepared(c, statement_name, 1, &param, nullptr, nullptr, 0) == 0)
        return refused(nullptr, "send");
    }
    if (PQpipelineSync(c) == 0) return refused(nullptr, "sync");

    auto timed_out = [&] {
      return PQstatus(c) == CONNECTION_BAD
                 ? lost(pg::one_line(PQerrorMessage(c)))
                 : lost("no answer within " + std::to_string(opts_.timeout_ms) + " ms");
    };
    pg::result_ptr res, end;
    if (prepare) {
      if (!next_result(deadline, res) || !next_result(deadline, end)) return timed_out();
      if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK)
        return refused(res.get(), "cannot prepare the lookup");
      prepared_ = true;
    }
    std::unordered_map<std::string_view, size_t> row_of;
    for (size_t b = 0; b < batches; ++b) {
      if (!next_result(deadline, res)) return timed_out();
      if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK) return refused(res.get(), "lookup");
      const int rows = PQntuples(res.get());
      row_of.clear();
      for (int r = 0; r < rows; ++r)
        if (!PQgetisnull(res.get(), r, 0))
          row_of[std::string_view(PQgetvalue(res.get(), r, 0),
                                  static_cast<size_t>(PQgetlength(res.get(), r, 0)))] =
              static_cast<size_t>(r);
      for (size_t i = b * batch; i < asked.size() && i < (b + 1) * batch; ++i) {
        auto it = row_of.find(keys[asked[i]]);
        if (it == row_of.end()) continue;
        auto r = static_cast<int>(it->second);
        std::string& v = values[asked[i]];
        for (int col = 1; col <= static_cast<int>(values_.size()); ++col) {
          if (col > 1) v += ',';
          if (!PQgetisnull(res.get(), r, col))
            v.append(PQgetvalue(res.get(), r, col),
                     static_cast<size_t>(PQgetlength(res.get(), r, col)));
        }
        found[asked[i]] = 1;
      }
      if (!next_result(deadline, end)) return timed_out();
      if (end) return refused(end.get(), "unexpected result");
    }
    if (!next_result(deadline, res)) return timed_out();
    if (!res || PQresultStatus(res.get()) != PGRES_PIPELINE_SYNC)
      return refused(res.get(), "unexpected result");
    if (PQexitPipelineMode(c) == 0) return refused(nullptr, "cannot leave pipeline mode");
    return {};
  }

  pg::endpoint where_;
  std::string table_, key_;
  std::vector<std::string> values_;
  table_reader_options opts_;
  pg::conn_ptr conn_;
  std::string select_;
  bool prepared_ = false;
};

}  // namespace

result<owned<table_reader>> make_postgres_table_reader(const connector_uri& uri,
                                                       const table_reader_options& opts) {
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("lookup '" + uri.text + "': " + why);
  };
  if (uri.type != connector_uri::kind::postgresql) return bad("not a postgresql:// URI");
  std::string table, key = "id";
  std::vector<std::string> values;
  for (const auto& [name, value] : uri.options) {
    if (name == "table") {
      table = value;
    } else if (name == "key") {
      key = value;
    } else if (name == "value") {
      values = pg::split_commas(value);
    } else if (!is_lookup_option(name)) {
      return bad("unknown option '" + name + "' (table, key, value, or a lookup's option)");
    }
  }
  if (table.empty()) return bad("no table= option");
  if (values.empty()) return bad("no value= option (the column or columns to read)");
  if (!pg::valid_identifier(table)) return bad("table '" + table + "' is not an identifier");
  if (!pg::valid_identifier(key) || key.find('.') != std::string::npos)
    return bad("key '" + key + "' is not a column name");
  for (const auto& v : values)
    if (!pg::valid_identifier(v) || v.find('.') != std::string::npos)
      return bad("value '" + v + "' is not a column name");
  return owned<table_reader>(make_owned<postgres_table_reader>(
      pg::endpoint_of(uri), std::move(table), std::move(key), std::move(values), opts));
}

}  // namespace nagare::detail
