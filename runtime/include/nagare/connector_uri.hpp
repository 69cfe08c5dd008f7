// Connectors named by URI, as jobs take them in their arguments, so that a
// user switches input and output without recompiling
// (nagare/connector.hpp builds the sources and sinks):
//
//   PATH, file:PATH         a source: the lines of a text file; a sink: the
//                           exactly-once file sink's directory
//   dir:PATH                a monitored directory (source only, unbounded)
//   kafka://HOST:PORT[,HOST:PORT...]/TOPIC[,TOPIC...][?OPTIONS]
//   stdout:, stderr:        lines on standard output or error (sink only)
//   redis://HOST:PORT[/STREAM[,STREAM...]][?OPTIONS]
//                           a Redis server: streams (source), a hash or
//                           keys (lookup, sink), as the options say
//   postgresql://[USER@]HOST:PORT/DATABASE?table=TABLE[&OPTIONS]
//                           a PostgreSQL table (lookup, sink); the password,
//                           if any, comes from libpq's PGPASSWORD or
//                           ~/.pgpass, never from the URI
//
// Kafka options, "NAME=VALUE" joined by '&' (values %XX-decoded):
//   start=earliest|latest|committed|TIMESTAMP_MS   source: where to start
//   stop=latest             source: bounded, up to the end offsets at the start
//   group=NAME              source: consumer group (committed offsets, lag)
//   pattern=REGEX           source: every topic matching REGEX (no TOPIC then)
//   delivery=exactly-once|at-least-once|none        sink (default exactly-once)
//   NAME.WITH.DOTS=VALUE    any librdkafka property, passed through
// Redis and PostgreSQL options: see nagare/lookup.hpp (lookups),
// nagare/redis_source.hpp, nagare/redis_sink.hpp and nagare/postgres_sink.hpp.
// An option the connector does not take is an error naming it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/status.hpp"

namespace nagare {

struct connector_uri {
  enum class kind : uint8_t {
    file,
    directory,
    kafka,
    standard_output,
    standard_error,
    redis,
    postgresql
  };
  kind type = kind::file;
  std::string path;     // file, directory
  std::string servers;  // kafka: the bootstrap servers; redis, postgresql: HOST:PORT
  std::vector<std::string> topics;  // kafka: topics; redis: streams
  std::string user;                 // postgresql (empty: libpq's default)
  std::string database;             // postgresql
  std::vector<std::pair<std::string, std::string>> options;  // in order, decoded
  std::string text;  // the URI as given, secrets masked (secret.hpp): for messages

  // The value of option `name`, or null.
  const std::string* option(const std::string& name) const;
  // HOST and PORT of `servers` (redis, postgresql: exactly one server).
  std::string host() const;
  uint16_t port() const;
};

// Parses a URI; a malformed one is an invalid_argument naming it and why.
result<connector_uri> parse_connector_uri(const std::string& text);

// The URI of a side output of `output` (late records, dead letters):
//   a directory DIR       -> DIR/NAME
//   kafka://S/TOPIC?Q     -> kafka://S/TOPIC-NAME?Q (without a leading '_' of NAME)
//   stdout: or stderr:    -> stderr:
//   redis:// or postgresql:// -> stderr:
std::string side_output_uri(const std::string& output, const std::string& name);

}  // namespace nagare
