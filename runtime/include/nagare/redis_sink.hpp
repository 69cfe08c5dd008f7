// Writing a stream to Redis: each record is one command on one target, a
// hash (HSET H KEY VALUE), a stream (XADD S * FIELD VALUE, the field being
// the record's key, or "line" when it has none) or plain keys
// (SET PREFIX+KEY VALUE), or, with the `commands` target, any commands the
// record lists (a layout of several keys per record, e.g. jobs/ysb's), with a
// delivery guarantee chosen per sink. Each sink subtask has one connection.
//
//   stream.sink(nagare::redis_sink<total>(
//       {"127.0.0.1", 6379, nagare::redis_target::hash, "totals"},
//       [](const total& t, nagare::redis_output_record& out) {
//         out.key = t.user;
//         out.value = std::to_string(t.sum);
//       }));
//
// Delivery (redis_delivery):
//   exactly_once   (the default) Without two-phase commit: records are
//                  buffered in memory between two checkpoint barriers; the
//                  barrier seals them as a pending transaction, part of the
//                  checkpoint's snapshot; once the checkpoint completed,
//                  every sealed transaction up to it is applied in ONE EVAL
//                  of a Lua script that also checks and sets the subtask's
//                  fence key
//                    nagare:fence:<job name>:<target>:<subtask>
//                  holding the last checkpoint applied: a transaction of a
//                  checkpoint not above the fence is skipped, so applying
//                  again after a crash does nothing. A restore from
//                  checkpoint C applies C's pending transactions, those of
//                  earlier subtask p by subtask p % parallelism under p's
//                  fence. A job started from the beginning (no checkpoint)
//                  deletes its subtasks' fences first: give two jobs writing
//                  the same target different names. Output becomes visible a
//                  checkpoint interval late, and the snapshot holds a
//                  checkpoint's worth of records; a Redis script blocks the
//                  server while it runs, so keep checkpoints small.
//   at_least_once  Commands pipelined, flushed at every checkpoint barrier
//                  (and when many are buffered, and at close). A restore
//                  writes the records since the checkpoint again.
// Commands of the `commands` target run in the order given, inside the same
// fenced script under exactly-once (its `name` names the fence). Redis does
// not roll a script back when a command fails halfway, and a commit that
// failed is applied again: make each record's commands idempotent as a
// whole (HSET, SET; LREM before LPUSH), so that applying them twice leaves
// what applying them once did.
// A failed write is never silent: it is retried a few times with backoff,
// then fails the task (errc::unavailable), and the job restarts from its
// latest checkpoint; an error reply (a key of another type) fails it at once
// (errc::invalid_argument).
//
// URI form (redis_output_of):
//   redis://HOST:PORT?hash=H      HSET H KEY VALUE
//   redis://HOST:PORT/STREAM      XADD STREAM * KEY|line VALUE
//   redis://HOST:PORT[?prefix=P]  SET PKEY VALUE
// and delivery=exactly-once|at-least-once. The password, if any, comes from
// NAGARE_REDIS_PASSWORD, never from the URI.
//
// Fault injection (tests only, off unless set): with the environment variable
//   NAGARE_FAULT=redis-sink-commit:before:FILE
// an exactly-once commit with records exits the process at once
// (std::_Exit(86)) before its EVAL if FILE exists; FILE is removed first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/connector_uri.hpp"
#include "nagare/delivery_guarantee.hpp"
#include "nagare/detail/serializing_sink.hpp"
#include "nagare/function.hpp"
#include "nagare/owned.hpp"
#include "nagare/sink.hpp"
#include "nagare/status.hpp"

namespace nagare {

enum class redis_delivery : uint8_t { exactly_once, at_least_once };
enum class redis_target : uint8_t { keys, hash, stream, commands };

// What the serializer fills for one record. The sink clears it before each call.
struct redis_output_record {
  std::string key;
  std::string value;
  // The `commands` target: the record's commands, each as its arguments
  // ({"HSET", "h", "f", "v"}); key and value are not used.
  std::vector<std::vector<std::string>> commands;
  void clear() {
    key.clear();
    value.clear();
    commands.clear();
  }
};

// What a Redis sink writes where, as data.
struct redis_sink_config {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  redis_target target = redis_target::keys;
  std::string name;    // hash: the hash; stream: the stream; commands: the fence's name
  std::string prefix;  // keys: put before every key
  redis_delivery delivery = redis_delivery::exactly_once;
  uint32_t timeout_ms = 5000;  // connect and each round trip
};

namespace detail {

// One sink subtask's writer (runtime/src/redis/redis_writer.cpp): the writer
// of redis_sink without its record type. Same call order as sink<T>, from
// the task's thread only.
class redis_writer {
 public:
  explicit redis_writer(redis_sink_config config);
  ~redis_writer();
  redis_writer(const redis_writer&) = delete;
  redis_writer& operator=(const redis_writer&) = delete;

  status open(const subtask_info& info);
  // Takes the record's contents.
  status write(redis_output_record& record);
  status pre_commit(uint64_t checkpoint);
  void pending(std::vector<std::string>& out) const;
  status commit(uint64_t checkpoint);
  status recover(const std::vector<std::string>& entries, uint32_t previous_parallelism,
                 const subtask_info& info);
  status close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// redis_sink's checks, compiled into libnagare: the configuration, and the
// server answers PING (errc::unavailable naming it otherwise).
status validate_redis_sink(const redis_sink_config& config);

}  // namespace detail

// The sink configuration of a redis:// output URI, its options checked
// without connecting: for a job that adjusts it (say, target::commands)
// before making its redis_sink.
result<redis_sink_config> redis_output_of(const connector_uri& uri);

template <class T>
class redis_sink {
 public:
  using record_type = T;
  using serializer = function<void(const T&, redis_output_record&)>;

  redis_sink(redis_sink_config config, serializer serialize)
      : config_(std::move(config)), serialize_(std::move(serialize)) {}

  redis_sink& delivery(redis_delivery d) {
    config_.delivery = d;
    return *this;
  }
  const redis_sink_config& config() const { return config_; }

  std::string name() const { return "redis sink"; }
  delivery_guarantee guarantee() const {
    return config_.delivery == redis_delivery::exactly_once ? delivery_guarantee::exactly_once
                                                            : delivery_guarantee::at_least_once;
  }
  status validate() const { return detail::validate_redis_sink(config_); }
  owned<sink<T>> create() const {
    return make_owned<detail::serializing_sink<T, detail::redis_writer, redis_output_record>>(
        config_, serialize_);
  }

 private:
  redis_sink_config config_;
  serializer serialize_;
};

}  // namespace nagare
