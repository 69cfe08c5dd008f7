// redis_sink's writer without its record type (nagare/redis_sink.hpp).
// Exactly once: records buffered per checkpoint, sealed as pending
// transactions at the barrier, applied after the checkpoint completed by one
// EVAL of a script that checks and moves the subtask's fence. At least once:
// commands pipelined and flushed at every barrier.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

#include "nagare/redis_sink.hpp"
#include "redis_connection.hpp"

namespace nagare::detail {

namespace {

constexpr int attempts = 4;  // per flush or commit, with backoff in between
constexpr auto first_backoff = std::chrono::milliseconds(100);
constexpr size_t flush_every = 1000;  // at least once: commands buffered at most

// Applies transactions under one fence. KEYS[1]: the fence; ARGV: the
// operation (set, hset, xadd, cmd), the hash or stream, then per transaction
// (in checkpoint order) its checkpoint, its number of arguments and the
// arguments: a key-value pair per record for set, hset and xadd; per
// command its number of arguments and them for cmd. Returns the number of
// commands applied. The target's type is checked first, so that an error
// never leaves a transaction of a hash or stream half applied.
const char* const apply_script = R"lua(
local op, name = ARGV[1], ARGV[2]
if op == 'hset' or op == 'xadd' then
  local t = redis.call('TYPE', name).ok
  local want = op == 'hset' and 'hash' or 'stream'
  if t ~= 'none' and t ~= want then
    return redis.error_reply('WRONGTYPE ' .. name .. ' is a ' .. t .. ', not a ' .. want)
  end
end
local fence = tonumber(redis.call('GET', KEYS[1]) or '0')
local applied = 0
local i = 3
while i <= #ARGV do
  local cp, n = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local j, last = i + 2, i + 1 + n
  if cp > fence then
    while j <= last do
      if op == 'cmd' then
        local argc = tonumber(ARGV[j])
        redis.call(unpack(ARGV, j + 1, j + argc))
        j = j + 1 + argc
      else
        if op == 'set' then
          redis.call('SET', ARGV[j], ARGV[j + 1])
        elseif op == 'hset' then
          redis.call('HSET', name, ARGV[j], ARGV[j + 1])
        else
          redis.call('XADD', name, '*', ARGV[j], ARGV[j + 1])
        end
        j = j + 2
      end
      applied = applied + 1
    end
    fence = cp
    redis.call('SET', KEYS[1], ARGV[i])
  end
  i = last + 1
end
return applied
)lua";

// A transaction's records as the script's arguments, flat (see above).
using record_args = std::vector<std::string>;

// A sealed transaction; its snapshot entry is
// ((subtask, checkpoint), arguments) in the codec of that nesting of pairs.
struct transaction {
  uint32_t subtask = 0;
  uint64_t checkpoint = 0;
  record_args records;
};
using entry_type = std::pair<std::pair<uint32_t, uint64_t>, record_args>;
// Entries of snapshots taken before the commands target: a key-value pair
// per record (set, hset, xadd).
using pair_entry_type =
    std::pair<std::pair<uint32_t, uint64_t>, std::vector<std::pair<std::string, std::string>>>;

// A pending transaction of a snapshot, in either form.
bool decode_entry(const std::string& e, entry_type& out) {
  {
    byte_reader in(e.data(), e.size());
    if (codec<entry_type>::decode(in, out) && in.remaining() == 0) return true;
  }
  // An entry of pairs holds twice as many strings as its count says, so it
  // never decodes completely in the flat form above (unless empty).
  pair_entry_type old;
  byte_reader in(e.data(), e.size());
  if (!codec<pair_entry_type>::decode(in, old) || in.remaining() != 0) return false;
  out.first = old.first;
  out.second.clear();
  for (auto& [k, v] : old.second) {
    out.second.push_back(std::move(k));
    out.second.push_back(std::move(v));
  }
  return true;
}

// NAGARE_FAULT=redis-sink-commit:before:FILE: exits at once if FILE exists.
void maybe_fault() {
  const char* spec = std::getenv("NAGARE_FAULT");
  if (!spec) return;
  const std::string prefix = "redis-sink-commit:before:";
  std::string s = spec;
  if (s.compare(0, prefix.size(), prefix) != 0) return;
  if (std::remove(s.c_str() + prefix.size()) == 0) std::_Exit(86);
}

}  // namespace

struct redis_writer::impl {
  redis_sink_config config;
  std::string what;  // "redis sink TASK", in errors
  std::string job;
  uint32_t subtask = 0;
  std::unique_ptr<redis::connection> conn;
  record_args buffer;                 // exactly once: since the last barrier
  std::vector<transaction> sealed;    // pre-committed, not yet applied, by checkpoint
  std::vector<redis::command> queue;  // at least once: not yet flushed
  std::vector<redis::reply_ptr> replies;

  bool exactly_once() const { return config.delivery == redis_delivery::exactly_once; }

  const char* op() const {
    switch (config.target) {
      case redis_target::hash:
        return "hset";
      case redis_target::stream:
        return "xadd";
      case redis_target::commands:
        return "cmd";
      default:
        return "set";
    }
  }

  std::string fence_key(uint32_t s) const {
    std::string target = config.target == redis_target::keys       ? "keys:" + config.prefix
                         : config.target == redis_target::hash     ? "hash:" + config.name
                         : config.target == redis_target::commands ? "commands:" + config.name
                                                                   : "stream:" + config.name;
    return "nagare:fence:" + job + ":" + target + ":" + std::to_string(s);
  }

  // Appends the record as the script's arguments (see apply_script).
  void append_args(redis_output_record& r, record_args& out) const {
    switch (config.target) {
      case redis_target::keys:
        out.push_back(config.prefix + r.key);
        out.push_back(std::move(r.value));
        return;
      case redis_target::stream:
        out.push_back(r.key.empty() ? std::string("line") : std::move(r.key));
        out.push_back(std::move(r.value));
        return;
      case redis_target::commands:
        for (auto& c : r.commands) {
          out.push_back(std::to_string(c.size()));
          for (auto& a : c) out.push_back(std::move(a));
        }
        return;
      default:
        out.push_back(std::move(r.key));
        out.push_back(std::move(r.value));
    }
  }

  // Appends the record's commands to the queue (at least once).
  void append_commands(redis_output_record& r) {
    switch (config.target) {
      case redis_target::keys:
        queue.push_back({"SET", config.prefix + r.key, std::move(r.value)});
        return;
      case redis_target::hash:
        queue.push_back({"HSET", config.name, std::move(r.key), std::move(r.value)});
        return;
      case redis_target::commands:
        for (auto& c : r.commands) queue.push_back(std::move(c));
        return;
      default:
        queue.push_back({"XADD", config.name, "*",
                         r.key.empty() ? std::string("line") : std::move(r.key),
                         std::move(r.value)});
    }
  }

  // Sends `commands` (all of them again on an I/O error: they are
  // idempotent or at least once) until they went through or attempts ran out.
  status send(const std::vector<redis::command>& commands) {
    auto backoff = first_backoff;
    status last;
    for (int i = 0; i < attempts; ++i) {
      if (i > 0) {
        std::this_thread::sleep_for(backoff);
        backoff *= 2;
      }
      last = conn->pipeline(commands, replies);
      if (!last.ok()) continue;
      for (const auto& r : replies)
        if (auto st = redis::error_of(*r, what); !st.ok()) return st;
      return {};
    }
    return status(errc::unavailable, what + ": " + last.message());
  }

  status flush() {
    if (queue.empty()) return {};
    auto st = send(queue);
    queue.clear();
    return st;
  }

  // Applies `txns` (one original subtask's, in checkpoint order) in one EVAL.
  status apply(uint32_t owner, const std::vector<const transaction*>& txns) {
    if (txns.empty()) return {};
    redis::command eval = {"EVAL", apply_script, "1", fence_key(owner), op(), config.name};
    for (const auto* t : txns) {
      eval.push_back(std::to_string(t->checkpoint));
      eval.push_back(std::to_string(t->records.size()));
      eval.insert(eval.end(), t->records.begin(), t->records.end());
    }
    maybe_fault();
    return send({eval});
  }
};

redis_writer::redis_writer(redis_sink_config config) : impl_(std::make_unique<impl>()) {
  impl_->config = std::move(config);
}

redis_writer::~redis_writer() = default;

status redis_writer::open(const subtask_info& info) {
  auto& s = *impl_;
  s.what = "redis sink " + info.task_name;
  s.job = info.job_name;
  s.subtask = info.subtask;
  s.conn = std::make_unique<redis::connection>(s.config.host, s.config.port, s.config.timeout_ms);
  return {};
}

status redis_writer::write(redis_output_record& record) {
  auto& s = *impl_;
  if (s.exactly_once()) {
    s.append_args(record, s.buffer);
    return {};
  }
  s.append_commands(record);
  return s.queue.size() >= flush_every ? s.flush() : status{};
}

status redis_writer::pre_commit(uint64_t checkpoint) {
  auto& s = *impl_;
  if (!s.exactly_once()) return s.flush();
  if (s.buffer.empty()) return {};
  s.sealed.push_back({s.subtask, checkpoint, std::move(s.buffer)});
  s.buffer.clear();
  return {};
}

void redis_writer::pending(std::vector<std::string>& out) const {
  for (const auto& t : impl_->sealed)
    out.push_back(encode(entry_type({t.subtask, t.checkpoint}, t.records)));
}

status redis_writer::commit(uint64_t checkpoint) {
  auto& s = *impl_;
  std::vector<const transaction*> due;
  for (const auto& t : s.sealed)
    if (t.checkpoint <= checkpoint) due.push_back(&t);
  if (due.empty()) return {};
  if (auto st = s.apply(s.subtask, due); !st.ok()) return st;  // kept: the snapshot has them
  s.sealed.erase(std::remove_if(s.sealed.begin(), s.sealed.end(),
                                [&](const transaction& t) { return t.checkpoint <= checkpoint; }),
                 s.sealed.end());
  return {};
}

status redis_writer::recover(const std::vector<std::string>& entries, uint32_t previous_parallelism,
                             const subtask_info& info) {
  (void)previous_parallelism;  // the entries name their subtasks
  auto& s = *impl_;
  s.buffer.clear();
  s.sealed.clear();
  s.queue.clear();
  if (!s.exactly_once()) {
    if (!entries.empty())
      return status::invalid_argument(s.what + ": an at-least-once sink keeps no transactions");
    return {};
  }
  if (info.restored_checkpoint == 0 && entries.empty()) {
    // Started from the beginning: checkpoint ids start again, so must the fence.
    auto r = s.conn->run({"DEL", s.fence_key(s.subtask)});
    for (int i = 1; !r.ok() && r.error().code() == errc::unavailable && i < attempts; ++i) {
      std::this_thread::sleep_for(first_backoff * i);
      r = s.conn->run({"DEL", s.fence_key(s.subtask)});
    }
    if (!r.ok()) return status(r.error().code(), s.what + ": " + r.error().message());
    return {};
  }
  std::map<uint32_t, std::vector<transaction>> mine;  // original subtask -> its transactions
  const uint32_t parallelism = std::max<uint32_t>(info.parallelism, 1);
  for (const auto& e : entries) {
    entry_type x;
    if (!decode_entry(e, x))
      return status(errc::corruption, s.what + ": malformed pending transaction in the snapshot");
    if (x.first.first % parallelism != info.subtask) continue;
    mine[x.first.first].push_back({x.first.first, x.first.second, std::move(x.second)});
  }
  for (auto& [owner, txns] : mine) {
    std::sort(txns.begin(), txns.end(), [](const transaction& a, const transaction& b) {
      return a.checkpoint < b.checkpoint;
    });
    std::vector<const transaction*> all;
    for (const auto& t : txns) all.push_back(&t);
    if (auto st = s.apply(owner, all); !st.ok()) return st;
  }
  return {};
}

status redis_writer::close() {
  auto& s = *impl_;
  status st = s.exactly_once() ? status{} : s.flush();
  if (s.conn) s.conn->drop();
  return st;
}

}  // namespace nagare::detail
