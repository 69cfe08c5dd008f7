// The Redis table reader of lookups (nagare/table_reader.hpp): MGET over
// plain keys (with an optional prefix) or HMGET over one hash, split into
// commands of at most batch_keys keys, all pipelined in one round trip.
#include <algorithm>
#include <utility>

#include "nagare/table_reader.hpp"
#include "redis_connection.hpp"

namespace nagare::detail {

namespace {

class redis_table_reader final : public table_reader {
 public:
  redis_table_reader(const connector_uri& uri, const table_reader_options& opts, std::string hash,
                     std::string prefix)
      : connection_(uri.host(), uri.port(), opts.timeout_ms),
        batch_(std::max<uint32_t>(opts.batch_keys, 1)),
        hash_(std::move(hash)),
        prefix_(std::move(prefix)) {}

  status read(const std::vector<std::string>& keys, std::vector<std::string>& values,
              std::vector<uint8_t>& found) override {
    values.assign(keys.size(), std::string());
    found.assign(keys.size(), 0);
    if (keys.empty()) return {};
    commands_.clear();
    for (size_t at = 0; at < keys.size(); at += batch_) {
      redis::command c;
      const size_t n = std::min<size_t>(batch_, keys.size() - at);
      c.reserve(n + 2);
      if (hash_.empty()) {
        c.emplace_back("MGET");
      } else {
        c.emplace_back("HMGET");
        c.push_back(hash_);
      }
      for (size_t i = at; i < at + n; ++i) c.push_back(prefix_ + keys[i]);
      commands_.push_back(std::move(c));
    }
    if (auto st = connection_.pipeline(commands_, replies_); !st.ok()) return st;
    size_t at = 0;
    for (const auto& r : replies_) {
      if (auto st = redis::error_of(*r, describe()); !st.ok()) return st;
      const size_t n = std::min<size_t>(batch_, keys.size() - at);
      if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
        connection_.drop();
        return status(errc::unavailable, describe() + ": unexpected reply");
      }
      for (size_t i = 0; i < n; ++i) {
        const redisReply* e = r->element[i];
        if (e->type == REDIS_REPLY_STRING) {
          values[at + i].assign(e->str, e->len);
          found[at + i] = 1;
        }
      }
      at += n;
    }
    return {};
  }

  std::string describe() const override {
    if (!hash_.empty()) return "redis " + connection_.address() + " hash " + hash_;
    std::string d = "redis " + connection_.address() + " keys";
    if (!prefix_.empty()) d += " prefix " + prefix_;
    return d;
  }

 private:
  redis::connection connection_;
  size_t batch_;
  std::string hash_;
  std::string prefix_;
  std::vector<redis::command> commands_;  // reused between reads
  std::vector<redis::reply_ptr> replies_;
};

}  // namespace

result<owned<table_reader>> make_redis_table_reader(const connector_uri& uri,
                                                    const table_reader_options& opts) {
  auto bad = [&](const std::string& why) {
    return status::invalid_argument("lookup '" + uri.text + "': " + why);
  };
  if (uri.type != connector_uri::kind::redis) return bad("not a redis:// URI");
  if (!uri.topics.empty()) return bad("a lookup reads a hash or keys, not streams");
  std::string hash, prefix;
  bool has_hash = false;
  for (const auto& [name, value] : uri.options) {
    if (name == "hash") {
      if (value.empty()) return bad("hash= needs a name");
      hash = value;
      has_hash = true;
    } else if (name == "prefix") {
      prefix = value;
    } else if (!is_lookup_option(name)) {
      return bad("unknown option '" + name + "' (hash, prefix, or a lookup option)");
    }
  }
  if (has_hash && !prefix.empty()) return bad("give hash= or prefix=, not both");
  return owned<table_reader>(
      make_owned<redis_table_reader>(uri, opts, std::move(hash), std::move(prefix)));
}

}  // namespace nagare::detail
