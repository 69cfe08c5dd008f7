#include "redis_connection.hpp"

#include <sys/time.h>

#include <charconv>
#include <cstdlib>
#include <utility>

#include "secret.hpp"

namespace nagare::redis {

connection::connection(std::string host, uint16_t port, uint32_t timeout_ms)
    : host_(std::move(host)), port_(port), timeout_ms_(timeout_ms) {}

connection::~connection() { drop(); }

std::string connection::address() const { return host_ + ":" + std::to_string(port_); }

void connection::drop() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

status connection::io_failure(const std::string& doing) {
  std::string why = ctx_ && ctx_->err ? ctx_->errstr : "connection lost";
  drop();
  return status(errc::unavailable, "redis " + address() + ": " + doing + ": " + why);
}

status connection::connect() {
  if (ctx_) return {};
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_ms_ / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout_ms_ % 1000) * 1000;
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (!ctx_) return status(errc::unavailable, "redis " + address() + ": cannot connect");
  if (ctx_->err) return io_failure("cannot connect");
  if (redisSetTimeout(ctx_, tv) != REDIS_OK) return io_failure("cannot set the timeout");
  auto password = secret_from_environment("NAGARE_REDIS_PASSWORD");
  if (!password.ok()) {
    drop();
    return status(password.error().code(),
                  "redis " + address() + ": " + password.error().message());
  }
  if (!password->empty()) {
    auto r = run({"AUTH", *password});
    if (!r.ok()) {
      drop();
      // The server's reply names no password; ours neither.
      return status(
          r.error().code() == errc::invalid_argument ? errc::invalid_argument : errc::unavailable,
          "redis " + address() + ": authentication failed: " + r.error().message());
    }
  }
  return {};
}

status connection::pipeline(const std::vector<command>& commands, std::vector<reply_ptr>& replies) {
  replies.clear();
  if (auto st = connect(); !st.ok()) return st;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& c : commands) {
    argv.clear();
    lengths.clear();
    for (const auto& a : c) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lengths.data()) !=
        REDIS_OK)
      return io_failure("cannot send a command");
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    void* r = nullptr;
    if (redisGetReply(ctx_, &r) != REDIS_OK || !r) {
      replies.clear();
      return io_failure("no reply");
    }
    replies.emplace_back(static_cast<redisReply*>(r));
  }
  return {};
}

result<reply_ptr> connection::run(const command& c) {
  std::vector<reply_ptr> replies;
  if (auto st = pipeline({c}, replies); !st.ok()) return st;
  if (auto st = error_of(*replies[0], "redis " + address()); !st.ok()) return st;
  return std::move(replies[0]);
}

status error_of(const redisReply& r, const std::string& what) {
  if (r.type != REDIS_REPLY_ERROR) return {};
  return status::invalid_argument(what + ": " + std::string(r.str, r.len));
}

std::string text_of(const redisReply& r) {
  if (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS)
    return std::string(r.str, r.len);
  return {};
}

bool parse_entry_id(const std::string& text, entry_id& out) {
  auto dash = text.find('-');
  if (dash == std::string::npos) return false;
  const char* b = text.data();
  const char* e = b + text.size();
  auto [p1, ec1] = std::from_chars(b, b + dash, out.ms);
  auto [p2, ec2] = std::from_chars(b + dash + 1, e, out.seq);
  return ec1 == std::errc() && p1 == b + dash && dash > 0 && ec2 == std::errc() && p2 == e &&
         dash + 1 < text.size();
}

}  // namespace nagare::redis
