// lookup_table (nagare/lookup.hpp): the lookup's own URI options.
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>

#include "nagare/lookup.hpp"

namespace nagare {

namespace {

status bad_option(const connector_uri& u, const std::string& name, const std::string& why) {
  return status::invalid_argument("'" + u.text + "': option " + name + " " + why);
}

// A whole number in [min, max].
status number_option(const connector_uri& u, const char* name, uint32_t min, uint32_t& out) {
  const std::string* v = u.option(name);
  if (!v) return {};
  char* end = nullptr;
  errno = 0;
  unsigned long long n = v->empty() ? 0 : std::strtoull(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || (*v)[0] == '-' || n < min ||
      n > std::numeric_limits<uint32_t>::max())
    return bad_option(u, name, "must be a whole number of at least " + std::to_string(min) +
                                   " (got '" + *v + "')");
  out = static_cast<uint32_t>(n);
  return {};
}

status choice_option(const connector_uri& u, const char* name,
                     std::initializer_list<const char*> choices, std::string& out) {
  const std::string* v = u.option(name);
  if (!v) return {};
  std::string all;
  for (const char* c : choices) {
    if (*v == c) {
      out = *v;
      return {};
    }
    all += all.empty() ? "" : "|";
    all += c;
  }
  return bad_option(u, name, "must be " + all + " (got '" + *v + "')");
}

}  // namespace

lookup_table::lookup_table(detail::lookup_config config, async_options async)
    : config_(std::make_shared<const detail::lookup_config>(std::move(config))),
      async_(std::move(async)) {}

result<lookup_table> lookup_table::from_uri(const std::string& text) {
  auto u = parse_connector_uri(text);
  if (!u.ok()) return u.error();
  if (u->type != connector_uri::kind::redis && u->type != connector_uri::kind::postgresql)
    return status::invalid_argument("'" + text +
                                    "' is not a table to look up (redis:// or postgresql://)");
  if (u->type == connector_uri::kind::redis && !u->topics.empty())
    return status::invalid_argument("'" + text +
                                    "': a Redis lookup reads keys or a hash, not a stream");
  detail::lookup_config c;
  c.uri = u.value();
  uint32_t in_flight = 1000, timeout = 1000, retries = 3;
  std::string misses = "true", order = "ordered", failure = "fail";
  for (auto st : {number_option(c.uri, "cache", 0, c.cache_entries),
                  number_option(c.uri, "ttl", 0, c.ttl_ms),
                  number_option(c.uri, "batch", 1, c.reader.batch_keys),
                  number_option(c.uri, "in_flight", 1, in_flight),
                  number_option(c.uri, "timeout", 1, timeout),
                  number_option(c.uri, "retries", 0, retries),
                  number_option(c.uri, "backoff", 0, c.backoff_ms),
                  choice_option(c.uri, "cache_misses", {"true", "false"}, misses),
                  choice_option(c.uri, "order", {"ordered", "unordered"}, order),
                  choice_option(c.uri, "on_failure", {"fail", "default", "dead_letter"}, failure)})
    if (!st.ok()) return st;
  c.cache_misses = misses == "true";
  c.reader.timeout_ms = timeout;
  c.round_trip_keys = in_flight;
  async_options a;
  a.capacity(in_flight).timeout_ms(timeout + timeout / 2);  // the round trip's, and a margin
  if (order == "unordered") a.unordered();
  a.retry(retry_policy::exponential(retries + 1, c.backoff_ms, 5000));
  a.on_failure(failure == "fail"      ? failure_action::fail_task
               : failure == "default" ? failure_action::emit_default
                                      : failure_action::dead_letter);
  // The reader checks the rest of the options now, so that a typo fails at once.
  auto r = detail::make_table_reader(c);
  if (!r.ok()) return r.error();
  return lookup_table(std::move(c), std::move(a));
}

std::string lookup_table::name() const { return "lookup " + config_->uri.text; }

namespace detail {
result<owned<table_reader>> make_table_reader(const lookup_config& c) {
  if (c.make_reader) return c.make_reader(c.uri, c.reader);
  if (c.uri.type == connector_uri::kind::redis) return make_redis_table_reader(c.uri, c.reader);
  if (c.uri.type == connector_uri::kind::postgresql)
    return make_postgres_table_reader(c.uri, c.reader);
  return status::invalid_argument("'" + c.uri.text + "' is not a table to look up");
}
}  // namespace detail

status lookup_table::validate() const {
  auto r = detail::make_table_reader(*config_);
  if (!r.ok()) return r.error();
  std::vector<std::string> values;
  std::vector<uint8_t> found;
  auto st = r.value()->read({"nagare-validate"}, values, found);
  if (!st.ok())
    return status(st.code(), "lookup table " + r.value()->describe() + ": " + st.message());
  return {};
}

}  // namespace nagare
