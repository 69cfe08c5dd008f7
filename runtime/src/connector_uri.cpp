#include "nagare/connector_uri.hpp"

#include "secret.hpp"

namespace nagare {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(const std::string& in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  for (size_t begin = 0;;) {
    auto at = s.find(sep, begin);
    out.push_back(s.substr(begin, at == std::string::npos ? at : at - begin));
    if (at == std::string::npos) return out;
    begin = at + 1;
  }
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool is_host_port(const std::string& server) {
  auto colon = server.rfind(':');
  return colon != std::string::npos && colon != 0 && colon + 1 < server.size() &&
         colon + 6 >= server.size() &&
         server.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
         std::stoul(server.substr(colon + 1)) > 0 && std::stoul(server.substr(colon + 1)) < 65536;
}

// NAME=VALUE pairs joined by '&', %XX-decoded, into u.options; false names the bad pair.
bool parse_query(const std::string& query, connector_uri& u, std::string& bad_pair) {
  if (query.empty()) return true;
  for (const auto& pair : split(query, '&')) {
    auto eq = pair.find('=');
    std::string name, value;
    if (eq == std::string::npos || eq == 0 || !percent_decode(pair.substr(0, eq), name) ||
        !percent_decode(pair.substr(eq + 1), value)) {
      bad_pair = pair;
      return false;
    }
    u.options.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

// SCHEME://AUTHORITY[/PATH][?QUERY] into its parts (the query in u.options).
struct uri_parts {
  std::string authority, path;
  bool has_path = false;
};
bool split_uri(const std::string& text, size_t scheme_size, connector_uri& u, uri_parts& parts,
               std::string& why) {
  std::string rest = text.substr(scheme_size);
  if (auto q = rest.find('?'); q != std::string::npos) {
    std::string bad_pair;
    if (!parse_query(rest.substr(q + 1), u, bad_pair)) {
      why = "option '" + bad_pair + "' is not NAME=VALUE";
      return false;
    }
    rest.resize(q);
  }
  auto slash = rest.find('/');
  parts.authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    parts.has_path = true;
    parts.path = rest.substr(slash + 1);
  }
  return true;
}

result<connector_uri> parse_redis(const std::string& text) {
  const auto shown = masked_uri(text);
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("'" + shown + "' is not a redis URI: " + why +
                                    " (expected redis://HOST:PORT[/STREAM[,STREAM...]][?OPTIONS])");
  };
  connector_uri u;
  u.type = connector_uri::kind::redis;
  u.text = shown;
  uri_parts parts;
  std::string why;
  if (!split_uri(text, std::string("redis://").size(), u, parts, why)) return bad(why);
  if (auto at = parts.authority.rfind('@'); at != std::string::npos)
    return bad(parts.authority.substr(0, at).find(':') != std::string::npos
                   ? "a password does not belong in a URI (set NAGARE_REDIS_PASSWORD or "
                     "NAGARE_REDIS_PASSWORD_FILE where the job runs)"
                   : "a user name is not taken (HOST:PORT only)");
  if (!is_host_port(parts.authority)) return bad("'" + parts.authority + "' is not HOST:PORT");
  u.servers = parts.authority;
  if (!parts.path.empty())
    for (const auto& s : split(parts.path, ',')) {
      std::string name;
      if (!percent_decode(s, name) || name.empty()) return bad("'" + s + "' is not a stream name");
      u.topics.push_back(std::move(name));
    }
  return u;
}

result<connector_uri> parse_postgresql(const std::string& text, size_t scheme_size) {
  const auto shown = masked_uri(text);
  auto bad = [&](const std::string& why) {
    return status::invalid_argument(
        "'" + shown + "' is not a postgresql URI: " + why +
        " (expected postgresql://[USER@]HOST:PORT/DATABASE?table=TABLE[&OPTIONS])");
  };
  connector_uri u;
  u.type = connector_uri::kind::postgresql;
  u.text = shown;
  uri_parts parts;
  std::string why;
  if (!split_uri(text, scheme_size, u, parts, why)) return bad(why);
  std::string server = parts.authority;
  if (auto at = server.rfind('@'); at != std::string::npos) {
    if (server.substr(0, at).find(':') != std::string::npos)
      return bad("a password does not belong in a URI (use PGPASSWORD or ~/.pgpass)");
    if (!percent_decode(server.substr(0, at), u.user) || u.user.empty())
      return bad("'" + server.substr(0, at) + "' is not a user name");
    server.erase(0, at + 1);
  }
  if (!is_host_port(server)) return bad("'" + server + "' is not HOST:PORT");
  u.servers = server;
  if (!parts.has_path || parts.path.empty() || !percent_decode(parts.path, u.database) ||
      u.database.find('/') != std::string::npos)
    return bad("no /DATABASE");
  return u;
}

result<connector_uri> parse_kafka(const std::string& text) {
  const auto shown = masked_uri(text);
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("'" + shown + "' is not a kafka URI: " + why +
                                    " (expected kafka://HOST:PORT[,HOST:PORT...]/TOPIC[?OPTIONS])");
  };
  connector_uri u;
  u.type = connector_uri::kind::kafka;
  u.text = shown;
  std::string rest = text.substr(std::string("kafka://").size());
  std::string query;
  if (auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  auto slash = rest.find('/');
  if (slash == std::string::npos) return bad("no /TOPIC");
  u.servers = rest.substr(0, slash);
  if (u.servers.empty()) return bad("no servers");
  for (const auto& server : split(u.servers, ','))
    if (!is_host_port(server)) return bad("'" + server + "' is not HOST:PORT");
  std::string topics = rest.substr(slash + 1);
  if (!topics.empty())
    for (const auto& t : split(topics, ',')) {
      std::string name;
      if (!percent_decode(t, name) || name.empty() || name.find('/') != std::string::npos)
        return bad("'" + t + "' is not a topic name");
      u.topics.push_back(std::move(name));
    }
  if (std::string bad_pair; !parse_query(query, u, bad_pair))
    return bad("option '" + bad_pair + "' is not NAME=VALUE");
  for (const auto& [name, value] : u.options)
    if (is_secret_option(name))
      return bad(name +
                 " does not belong in a URI, which process lists and logs show (a SASL "
                 "password comes from NAGARE_KAFKA_SASL_PASSWORD or "
                 "NAGARE_KAFKA_SASL_PASSWORD_FILE where the job runs; keys from files: "
                 "ssl.key.location)");
  if (u.topics.empty() && !u.option("pattern")) return bad("no topic");
  return u;
}

}  // namespace

const std::string* connector_uri::option(const std::string& name) const {
  const std::string* found = nullptr;
  for (const auto& [n, v] : options)
    if (n == name) found = &v;  // the last one counts
  return found;
}

std::string connector_uri::host() const { return servers.substr(0, servers.rfind(':')); }

uint16_t connector_uri::port() const {
  auto colon = servers.rfind(':');
  return colon == std::string::npos ? 0
                                    : static_cast<uint16_t>(std::stoul(servers.substr(colon + 1)));
}

result<connector_uri> parse_connector_uri(const std::string& text) {
  if (text.empty()) return status::invalid_argument("an empty URI names no connector");
  if (starts_with(text, "kafka://")) return parse_kafka(text);
  if (starts_with(text, "redis://")) return parse_redis(text);
  if (starts_with(text, "postgresql://")) return parse_postgresql(text, 13);
  if (starts_with(text, "postgres://")) return parse_postgresql(text, 11);
  connector_uri u;
  u.text = text;  // a path or a scheme without secrets
  if (text == "stdout:" || text == "stderr:") {
    u.type = text == "stdout:" ? connector_uri::kind::standard_output
                               : connector_uri::kind::standard_error;
    return u;
  }
  if (starts_with(text, "file://")) {
    u.path = text.substr(7);
  } else if (starts_with(text, "file:")) {
    u.path = text.substr(5);
  } else if (starts_with(text, "dir:")) {
    u.type = connector_uri::kind::directory;
    u.path = text.substr(4);
  } else {
    auto colon = text.find(':');
    auto slash = text.find('/');
    // "name:..." before any '/' looks like a scheme this version does not know.
    if (colon != std::string::npos && (slash == std::string::npos || colon < slash) && colon > 0 &&
        text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+-.") >= colon)
      return status::invalid_argument("'" + text + "': unknown connector '" +
                                      text.substr(0, colon) +
                                      ":' (PATH, file:PATH, dir:PATH, kafka://..., "
                                      "redis://..., postgresql://..., stdout:, stderr:)");
    u.path = text;
  }
  if (u.path.empty()) return status::invalid_argument("'" + text + "' names no path");
  return u;
}

std::string side_output_uri(const std::string& output, const std::string& name) {
  auto u = parse_connector_uri(output);
  if (!u.ok()) return output + "/" + name;  // the output's own error comes first
  switch (u->type) {
    case connector_uri::kind::kafka: {
      std::string suffix = name;
      if (!suffix.empty() && suffix[0] == '_') suffix.erase(0, 1);
      auto q = output.find('?');
      auto base = output.substr(0, q);
      // One output topic (a side output of a pattern is not defined).
      return base + "-" + suffix + (q == std::string::npos ? "" : output.substr(q));
    }
    case connector_uri::kind::standard_output:
    case connector_uri::kind::standard_error:
    case connector_uri::kind::redis:  // a table or hash has no place for them
    case connector_uri::kind::postgresql:
      return "stderr:";
    default:
      return output + "/" + name;
  }
}

}  // namespace nagare
