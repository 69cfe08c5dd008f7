// Sources and sinks named by URI (nagare/connector_uri.hpp has the forms),
// the one way the bundled jobs take their --input and --output:
//
//   auto input = nagare::line_source::from_uris(args.values("--input"));
//   if (!input.ok()) return input.error();
//   auto out = nagare::uri_sink<count>::from_uri(output, format_count, key_of_count);
//   if (!out.ok()) return out.error();
//   job.source(input.value()) ... .sink(out.value());
//
// A line source reads text lines: the lines of files (PATH, file:PATH; one
// split per file, records of one file in file order), of the files appearing
// in a directory (dir:PATH, unbounded), the values of Kafka messages
// (kafka://...; one split per partition, records of one partition in
// partition order), or a field of the entries of Redis streams
// (redis://HOST:PORT/STREAM...; one split per stream, in entry order). A URI sink writes one line per record: into the
// exactly-once file sink's directory, as Kafka message values (keyed by the
// record's key where the job gives one, under the URI's delivery guarantee),
// into Redis (redis://...: SET, HSET or XADD per record, nagare/redis_sink.hpp),
// or on standard output or error; or, for a job that gives a row formatter,
// one row per record into a PostgreSQL table (nagare/postgres_sink.hpp).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "nagare/connector_uri.hpp"
#include "nagare/job_args.hpp"
#include "nagare/kafka_sink.hpp"
#include "nagare/kafka_source.hpp"
#include "nagare/postgres_sink.hpp"
#include "nagare/redis_sink.hpp"
#include "nagare/redis_source.hpp"
#include "nagare/sink.hpp"
#include "nagare/source.hpp"

namespace nagare {

namespace detail {

// The kafka_source of a kafka:// URI, its options checked.
result<kafka_source<std::string>> kafka_line_source(const connector_uri& uri);

// What a kafka:// output URI says, its options checked.
struct kafka_output {
  kafka_connection connection;
  std::string topic;
  kafka_delivery delivery = kafka_delivery::exactly_once;
};
result<kafka_output> kafka_output_of(const connector_uri& uri);

}  // namespace detail

class line_source {
 public:
  using record_type = std::string;

  explicit line_source(text_file_source s) : source_(std::move(s)) {}
  explicit line_source(kafka_source<std::string> s) : source_(std::move(s)) {}
  explicit line_source(redis_stream_source<std::string> s) : source_(std::move(s)) {}

  // The URIs of a job's option (say "--input"): "missing --input URI [URI...]"
  // without any.
  static result<line_source> from_option(const job_args& args, std::string_view option) {
    auto uris = args.values(option);
    if (uris.empty())
      return status::invalid_argument("missing " + std::string(option) + " URI [URI...]");
    return from_uris(uris);
  }

  // One Kafka or directory URI, or one or more file URIs.
  static result<line_source> from_uris(const std::vector<std::string>& uris) {
    if (uris.empty()) return status::invalid_argument("no input URI");
    std::vector<std::string> paths;
    for (const auto& text : uris) {
      auto u = parse_connector_uri(text);
      if (!u.ok()) return u.error();
      if (u->type == connector_uri::kind::file) {
        paths.push_back(u->path);
        continue;
      }
      if (uris.size() > 1)
        return status::invalid_argument("input '" + text +
                                        "' must be the only one (only files combine)");
      if (u->type == connector_uri::kind::directory)
        return line_source(text_file_source::monitor(u->path));
      if (u->type == connector_uri::kind::kafka) {
        auto k = detail::kafka_line_source(u.value());
        if (!k.ok()) return k.error();
        return line_source(std::move(k.value()));
      }
      if (u->type == connector_uri::kind::redis) {
        auto r = detail::redis_line_source(u.value());
        if (!r.ok()) return r.error();
        return line_source(std::move(r.value()));
      }
      return status::invalid_argument("'" + text + "' is an output, not an input");
    }
    return line_source(text_file_source(std::move(paths)));
  }

  std::string name() const {
    return std::visit([](const auto& s) { return s.name(); }, source_);
  }
  status validate() const {
    return std::visit([](const auto& s) { return s.validate(); }, source_);
  }
  owned<source_reader<std::string>> create() const {
    return std::visit([](const auto& s) { return s.create(); }, source_);
  }
  enumerator_spec enumerator(uint32_t parallelism) const {
    return std::visit([&](const auto& s) { return s.enumerator(parallelism); }, source_);
  }

 private:
  std::variant<text_file_source, kafka_source<std::string>, redis_stream_source<std::string>>
      source_;
};

// A record's key as text, for Kafka partitioning (a null function: no key).
template <class T>
using key_formatter = function<void(const T&, std::string&)>;

// A record as the text values of a table row's columns, in column order
// (a null function: the job writes no rows).
template <class T>
using row_formatter = function<void(const T&, std::vector<std::string>&)>;

template <class T>
class uri_sink {
 public:
  using record_type = T;

  static result<uri_sink> from_uri(const std::string& text, formatter<T> fmt,
                                   key_formatter<T> key = {}, row_formatter<T> row = {}) {
    auto u = parse_connector_uri(text);
    if (!u.ok()) return u.error();
    switch (u->type) {
      case connector_uri::kind::file:
        return uri_sink(file_sink<T>(u->path, std::move(fmt)));
      case connector_uri::kind::standard_output:
        return uri_sink(stdout_sink<T>(std::move(fmt)));
      case connector_uri::kind::standard_error:
        return uri_sink(stderr_sink<T>(std::move(fmt)));
      case connector_uri::kind::kafka:
        return kafka(u.value(), std::move(fmt), std::move(key));
      case connector_uri::kind::directory:
        break;
      case connector_uri::kind::postgresql:
        return postgres(u.value(), std::move(row));
      case connector_uri::kind::redis:
        return redis(u.value(), std::move(fmt), std::move(key));
    }
    return status::invalid_argument("'" + text + "' is an input, not an output");
  }

  std::string name() const {
    return std::visit([](const auto& s) { return s.name(); }, sink_);
  }
  status validate() const {
    return std::visit([](const auto& s) { return s.validate(); }, sink_);
  }
  owned<sink<T>> create() const {
    return std::visit([](const auto& s) { return s.create(); }, sink_);
  }
  delivery_guarantee guarantee() const {
    return std::visit([](const auto& s) { return s.guarantee(); }, sink_);
  }

 private:
  using variant = std::variant<file_sink<T>, stdout_sink<T>, stderr_sink<T>, kafka_sink<T>,
                               postgres_sink<T>, redis_sink<T>>;
  explicit uri_sink(variant s) : sink_(std::move(s)) {}

  static result<uri_sink> kafka(const connector_uri& u, formatter<T> fmt, key_formatter<T> key) {
    auto out = detail::kafka_output_of(u);
    if (!out.ok()) return out.error();
    kafka_sink<T> sink(std::move(out->connection), std::move(out->topic),
                       [fmt, key](const T& r, kafka_output_record& m) {
                         fmt(r, m.value);
                         if (key) {
                           m.key.emplace();
                           key(r, *m.key);
                         }
                       });
    sink.delivery(out->delivery);
    return uri_sink(std::move(sink));
  }

  // Each record is one command: the line as the value, the record's key as
  // the key (or hash field); a stream takes the key as the entry's field.
  static result<uri_sink> redis(const connector_uri& u, formatter<T> fmt, key_formatter<T> key) {
    auto config = redis_output_of(u);
    if (!config.ok()) return config.error();
    if (!key && config->target != redis_target::stream)
      return status::invalid_argument("'" + u.text +
                                      "': this job's records have no key to write under");
    return uri_sink(redis_sink<T>(std::move(config.value()),
                                  [fmt, key](const T& r, redis_output_record& m) {
                                    fmt(r, m.value);
                                    if (key) key(r, m.key);
                                  }));
  }

  static result<uri_sink> postgres(const connector_uri& u, row_formatter<T> row) {
    if (!row)
      return status::invalid_argument("'" + u.text +
                                      "': this job writes lines, not the rows of a table");
    auto config = detail::postgres_output_of(u);
    if (!config.ok()) return config.error();
    return uri_sink(postgres_sink<T>(std::move(config.value()), std::move(row)));
  }

  variant sink_;
};

}  // namespace nagare
