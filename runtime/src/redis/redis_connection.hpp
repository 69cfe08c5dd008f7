// One hiredis connection to one Redis server, shared by the Redis table
// reader, stream reader, enumerator and sink: connects on first use with a
// timeout that also bounds every round trip afterwards, authenticates with
// NAGARE_REDIS_PASSWORD when it is set (the password is never logged), and
// drops the connection on any I/O error so that the next call connects
// again. Errors: errc::unavailable for everything about the network,
// errc::invalid_argument for an error reply (WRONGTYPE ...), with the
// server's message. Not thread-safe: one thread at a time.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nagare/status.hpp"

namespace nagare::redis {

struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

// A command as its arguments (binary-safe).
using command = std::vector<std::string>;

class connection {
 public:
  // Errors name the server as "redis HOST:PORT".
  connection(std::string host, uint16_t port, uint32_t timeout_ms);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // "HOST:PORT".
  std::string address() const;
  bool connected() const { return ctx_ != nullptr; }
  // Connects (and authenticates) unless connected.
  status connect();
  void drop();

  // Sends `commands` in one write and reads their replies, in order, into
  // `replies` (one each). An error reply is returned as a reply (check it
  // with error_of): only I/O fails the call, and drops the connection.
  status pipeline(const std::vector<command>& commands, std::vector<reply_ptr>& replies);
  // One command: its reply, or unavailable, or invalid_argument for an
  // error reply.
  result<reply_ptr> run(const command& c);

 private:
  status io_failure(const std::string& doing);

  std::string host_;
  uint16_t port_;
  uint32_t timeout_ms_;
  redisContext* ctx_ = nullptr;
};

// invalid_argument with the server's message when `r` is an error reply;
// ok otherwise.
status error_of(const redisReply& r, const std::string& what);

// The string of a string or status reply; "" for anything else.
std::string text_of(const redisReply& r);

// Stream entry IDs ("MS-SEQ"), ordered as Redis orders them.
struct entry_id {
  uint64_t ms = 0;
  uint64_t seq = 0;
  bool operator<(const entry_id& o) const { return ms < o.ms || (ms == o.ms && seq < o.seq); }
  bool operator<=(const entry_id& o) const { return !(o < *this); }
};
// False when `text` is not a complete ID.
bool parse_entry_id(const std::string& text, entry_id& out);

}  // namespace nagare::redis
