// The checkpoint store: the operations once, over two backends (LevelDB and
// a std::map) that only read, write and scan keys. A record is stored as a
// 16-byte header, then a FlatBuffers CheckpointRecord (schemas/checkpoint.fbs):
//
//   bytes 0..3   magic "NGCP"
//   bytes 4..7   format version, uint32 little-endian
//   bytes 8..15  hash_bytes of bytes 16.., uint64 little-endian
#include "checkpoint_store.hpp"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

#include "checkpoint_generated.h"
#include "sealed_buffer.hpp"
#include "nagare/hash.hpp"

namespace nagare {

namespace {

constexpr seal_magic magic = {'N', 'G', 'C', 'P'};
constexpr uint32_t format_version = 1;

const std::string record_kind = "rec/";
const std::string snapshot_kind = "snap/";
const std::string savepoint_kind = "save/";

std::string hex(uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

// Parses exactly `digits` lower-case hex digits.
bool parse_hex(std::string_view s, size_t digits, uint64_t& out) {
  if (s.size() < digits) return false;
  out = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    out = out << 4 | static_cast<uint64_t>(d);
  }
  return true;
}

std::string job_prefix(const std::string& kind, uint64_t job) { return kind + hex(job, 16) + "/"; }

std::string checkpoint_prefix(const std::string& kind, uint64_t job, uint64_t checkpoint) {
  return job_prefix(kind, job) + hex(checkpoint, 16);
}

std::string savepoint_key(uint64_t job, uint64_t checkpoint) {
  return checkpoint_prefix(savepoint_kind, job, checkpoint);
}

// The first key after every key that starts with prefix ("" if none).
std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = prefix.back();
    if (static_cast<unsigned char>(c) != 0xff) {
      c = static_cast<char>(static_cast<unsigned char>(c) + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string name(uint64_t job, uint64_t checkpoint) {
  return "checkpoint " + std::to_string(checkpoint) + " of job " + std::to_string(job);
}

std::string encode_record(const stored_checkpoint& r) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::CheckpointTask>> tasks;
  tasks.reserve(r.tasks.size());
  for (const auto& t : r.tasks)
    tasks.push_back(
        fb::CreateCheckpointTask(b, t.task, b.CreateVectorOfStrings(t.state_keys), t.finished));
  b.Finish(fb::CreateCheckpointRecord(b, r.job_id, r.id, r.savepoint, r.completed_ms, r.bytes,
                                      b.CreateVector(tasks)));
  return seal(magic, format_version, b.GetBufferPointer(), b.GetSize());
}

// The record stored under (job, checkpoint); io_error naming the damage.
result<stored_checkpoint> decode_record(uint64_t job, uint64_t checkpoint, std::string_view bytes) {
  auto damaged = [&](const std::string& why) {
    return status::io_error(name(job, checkpoint) + " has a damaged record: " + why);
  };
  auto u = unseal(bytes, magic, format_version);
  switch (u.damage) {
    case seal_damage::none:
      break;
    case seal_damage::foreign:
      return damaged("wrong magic bytes");
    case seal_damage::version:
      return status::io_error(name(job, checkpoint) + ": record format version " +
                              std::to_string(u.found_version) +
                              " is not supported (this build reads " +
                              std::to_string(format_version) + ")");
    case seal_damage::damaged:
      return damaged(u.why);
  }
  // FlatBuffers needs its buffer aligned; a value read from LevelDB's blocks
  // may be anywhere, so read a copy (malloc aligns it).
  const std::string aligned(u.body);
  const char* body = aligned.data();
  const size_t size = aligned.size();
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(body), size);
  if (!fb::VerifyCheckpointRecordBuffer(v)) return damaged("malformed contents");
  const auto* rec = fb::GetCheckpointRecord(body);
  if (rec->job_id() != job || rec->id() != checkpoint)
    return damaged("it describes " + name(rec->job_id(), rec->id()));
  stored_checkpoint out;
  out.job_id = rec->job_id();
  out.id = rec->id();
  out.savepoint = rec->savepoint();
  out.completed_ms = rec->completed_ms();
  out.bytes = rec->bytes();
  if (rec->tasks()) {
    out.tasks.reserve(rec->tasks()->size());
    for (const auto* t : *rec->tasks()) {
      stored_task st;
      st.task = t->task();
      st.finished = t->finished();
      if (t->state_keys())
        for (const auto* k : *t->state_keys()) st.state_keys.push_back(k->str());
      out.tasks.push_back(std::move(st));
    }
  }
  return out;
}

// Parses "<job hex>/<checkpoint hex>..." after the kind prefix.
bool parse_ids(std::string_view key, const std::string& kind, uint64_t& job, uint64_t& checkpoint) {
  if (!starts_with(key, kind)) return false;
  key.remove_prefix(kind.size());
  if (key.size() < 33 || key[16] != '/') return false;
  return parse_hex(key, 16, job) && parse_hex(key.substr(17), 16, checkpoint);
}

bool parse_decimal(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (out > (UINT64_MAX - d) / 10) return false;
    out = out * 10 + d;
  }
  return true;
}

// ---- backends ----

class memory_store final : public checkpoint_store {
 private:
  status write(const std::vector<write_op>& ops, bool) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& op : ops) {
      if (op.value)
        map_[op.key] = *op.value;
      else
        map_.erase(op.key);
    }
    return {};
  }

  result<std::string> get(const std::string& key) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto i = map_.find(key);
    if (i == map_.end()) return status::not_found(key);
    return i->second;
  }

  status scan(const std::string& prefix, const visitor& fn) const override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto i = map_.lower_bound(prefix); i != map_.end() && starts_with(i->first, prefix); ++i)
      if (!fn(i->first, i->second)) break;
    return {};
  }

  result<std::optional<std::string>> last_key(const std::string& prefix) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto i = map_.lower_bound(prefix_end(prefix));
    if (i == map_.begin()) return std::optional<std::string>();
    --i;
    if (!starts_with(i->first, prefix)) return std::optional<std::string>();
    return std::optional<std::string>(i->first);
  }

  mutable std::mutex mu_;
  std::map<std::string, std::string> map_;
};

class leveldb_store final : public checkpoint_store {
 public:
  leveldb_store(std::unique_ptr<leveldb::DB> db, std::string dir)
      : db_(std::move(db)), dir_(std::move(dir)) {}

 private:
  status failed(const char* what, const leveldb::Status& st) const {
    return status::io_error(std::string("cannot ") + what + " the checkpoint store in '" + dir_ +
                            "': " + st.ToString());
  }

  static leveldb::ReadOptions read_options() {
    leveldb::ReadOptions r;
    r.verify_checksums = true;
    return r;
  }

  status write(const std::vector<write_op>& ops, bool sync) override {
    leveldb::WriteBatch batch;
    for (const auto& op : ops) {
      if (op.value)
        batch.Put(op.key, *op.value);
      else
        batch.Delete(op.key);
    }
    leveldb::WriteOptions w;
    w.sync = sync;
    auto st = db_->Write(w, &batch);
    return st.ok() ? status{} : failed("write to", st);
  }

  result<std::string> get(const std::string& key) const override {
    std::string value;
    auto st = db_->Get(read_options(), key, &value);
    if (st.IsNotFound()) return status::not_found(key);
    if (!st.ok()) return failed("read", st);
    return value;
  }

  status scan(const std::string& prefix, const visitor& fn) const override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_options()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto k = it->key();
      auto v = it->value();
      if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
    }
    return it->status().ok() ? status{} : failed("read", it->status());
  }

  result<std::optional<std::string>> last_key(const std::string& prefix) const override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_options()));
    auto end = prefix_end(prefix);
    if (end.empty())
      it->SeekToLast();
    else {
      it->Seek(end);
      if (it->Valid())
        it->Prev();
      else
        it->SeekToLast();
    }
    if (!it->status().ok()) return failed("read", it->status());
    if (!it->Valid() || !it->key().starts_with(prefix)) return std::optional<std::string>();
    return std::optional<std::string>(it->key().ToString());
  }

  std::unique_ptr<leveldb::DB> db_;
  std::string dir_;
};

}  // namespace

// ---- names and keys ----

std::string savepoint_id(uint64_t job_id, uint64_t checkpoint) {
  return std::to_string(job_id) + "-" + std::to_string(checkpoint);
}

result<savepoint_ref> parse_savepoint_id(const std::string& text) {
  auto dash = text.find('-');
  savepoint_ref ref;
  if (dash == std::string::npos ||
      !parse_decimal(std::string_view(text).substr(0, dash), ref.job_id) ||
      !parse_decimal(std::string_view(text).substr(dash + 1), ref.checkpoint))
    return status::invalid_argument("'" + text +
                                    "' is not a savepoint id: expected JOB-CHECKPOINT, two "
                                    "decimal numbers such as 3-17 (see `savepoints`)");
  return ref;
}

std::string checkpoint_record_key(uint64_t job_id, uint64_t checkpoint) {
  return checkpoint_prefix(record_kind, job_id, checkpoint);
}

std::string checkpoint_snapshot_key(uint64_t job_id, uint64_t checkpoint, uint32_t task) {
  return checkpoint_prefix(snapshot_kind, job_id, checkpoint) + "/" + hex(task, 8);
}

// ---- the store ----

result<std::unique_ptr<checkpoint_store>> checkpoint_store::open(const std::string& dir) {
  if (dir.empty()) return std::unique_ptr<checkpoint_store>(new memory_store);
  leveldb::Options opts;
  opts.create_if_missing = true;
  opts.paranoid_checks = true;
  leveldb::DB* db = nullptr;
  auto st = leveldb::DB::Open(opts, dir, &db);
  if (!st.ok())
    return status::io_error("cannot open the checkpoint store in '" + dir + "': " + st.ToString());
  return std::unique_ptr<checkpoint_store>(
      new leveldb_store(std::unique_ptr<leveldb::DB>(db), dir));
}

checkpoint_store::~checkpoint_store() = default;

status checkpoint_store::put_snapshot(uint64_t job, uint64_t checkpoint, uint32_t task,
                                      const std::string& bytes, bool sync) {
  return write({{checkpoint_snapshot_key(job, checkpoint, task), bytes}}, sync);
}

result<std::string> checkpoint_store::snapshot(uint64_t job, uint64_t checkpoint,
                                               uint32_t task) const {
  auto v = get(checkpoint_snapshot_key(job, checkpoint, task));
  if (!v.ok() && v.error().code() == errc::not_found)
    return status::not_found(name(job, checkpoint) + " has no snapshot of task " +
                             std::to_string(task));
  return v;
}

status checkpoint_store::complete(const stored_checkpoint& record) {
  if (record.id == 0)
    return status::invalid_argument("checkpoint ids start at 1 (job " +
                                    std::to_string(record.job_id) + ")");
  // Every task of the record must have its snapshot stored.
  std::set<uint64_t> stored;
  auto prefix = checkpoint_prefix(snapshot_kind, record.job_id, record.id) + "/";
  auto st = scan(prefix, [&](std::string_view key, std::string_view) {
    uint64_t task = 0;
    if (parse_hex(key.substr(prefix.size()), 8, task)) stored.insert(task);
    return true;
  });
  if (!st.ok()) return st;
  for (const auto& t : record.tasks)
    if (!stored.count(t.task))
      return status::invalid_argument(name(record.job_id, record.id) +
                                      " cannot be complete: task " + std::to_string(t.task) +
                                      " has no snapshot stored");
  std::vector<write_op> ops;
  ops.push_back({checkpoint_record_key(record.job_id, record.id), encode_record(record)});
  ops.push_back({savepoint_key(record.job_id, record.id),
                 record.savepoint ? std::optional<std::string>("") : std::nullopt});
  return write(ops, true);
}

result<stored_checkpoint> checkpoint_store::record(uint64_t job, uint64_t checkpoint) const {
  auto v = get(checkpoint_record_key(job, checkpoint));
  if (!v.ok()) {
    if (v.error().code() == errc::not_found)
      return status::not_found(name(job, checkpoint) + " is not complete (no record stored)");
    return v.error();
  }
  return decode_record(job, checkpoint, v.value());
}

status checkpoint_store::scan_records(uint64_t job, checkpoint_listing& out) const {
  return scan(job_prefix(record_kind, job), [&](std::string_view key, std::string_view value) {
    uint64_t k_job = 0, k_id = 0;
    if (!parse_ids(key, record_kind, k_job, k_id)) return true;  // not ours
    auto r = decode_record(k_job, k_id, value);
    if (r.ok())
      out.checkpoints.push_back(std::move(r.value()));
    else
      out.damaged.push_back(r.error().message());
    return true;
  });
}

result<checkpoint_listing> checkpoint_store::completed(uint64_t job) const {
  checkpoint_listing out;
  auto st = scan_records(job, out);
  // What could be read is still good: the failure is reported with it.
  if (!st.ok())
    out.damaged.push_back("cannot read every record of job " + std::to_string(job) + ": " +
                          st.message());
  return out;
}

result<checkpoint_listing> checkpoint_store::savepoints() const {
  std::vector<savepoint_ref> refs;
  auto st = scan(savepoint_kind, [&](std::string_view key, std::string_view) {
    savepoint_ref r;
    if (parse_ids(key, savepoint_kind, r.job_id, r.checkpoint)) refs.push_back(r);
    return true;
  });
  checkpoint_listing out;
  if (!st.ok()) out.damaged.push_back("cannot read every savepoint: " + st.message());
  for (const auto& ref : refs) {
    auto r = record(ref.job_id, ref.checkpoint);
    if (r.ok())
      out.checkpoints.push_back(std::move(r.value()));
    else
      out.damaged.push_back("savepoint " + savepoint_id(ref.job_id, ref.checkpoint) + ": " +
                            r.error().message());
  }
  return out;
}

result<stored_checkpoint> checkpoint_store::savepoint(const std::string& id) const {
  auto ref = parse_savepoint_id(id);
  if (!ref.ok()) return ref.error();
  auto r = record(ref->job_id, ref->checkpoint);
  if (!r.ok()) {
    if (r.error().code() == errc::not_found) return status::not_found("no savepoint " + id);
    return status(r.error().code(), "savepoint " + id + ": " + r.error().message());
  }
  if (!r->savepoint)
    return status::not_found("no savepoint " + id + " (" + name(ref->job_id, ref->checkpoint) +
                             " is a retained checkpoint, not a savepoint)");
  return r;
}

result<std::vector<uint64_t>> checkpoint_store::checkpoint_ids(const std::string& kind,
                                                               uint64_t job) const {
  std::vector<uint64_t> ids;
  auto st = scan(job_prefix(kind, job), [&](std::string_view key, std::string_view) {
    uint64_t k_job = 0, k_id = 0;
    if (parse_ids(key, kind, k_job, k_id) && (ids.empty() || ids.back() != k_id))
      ids.push_back(k_id);
    return true;
  });
  if (!st.ok()) return st;
  return ids;
}

status checkpoint_store::erase(uint64_t job, const std::vector<uint64_t>& checkpoints) {
  if (checkpoints.empty()) return {};
  std::vector<write_op> ops;
  for (auto id : checkpoints) {
    ops.push_back({checkpoint_record_key(job, id), std::nullopt});
    ops.push_back({savepoint_key(job, id), std::nullopt});
    auto st = scan(checkpoint_prefix(snapshot_kind, job, id) + "/",
                   [&](std::string_view key, std::string_view) {
                     ops.push_back({std::string(key), std::nullopt});
                     return true;
                   });
    if (!st.ok()) return st;
  }
  // Not synced: after a crash the deleted checkpoints may be back, whole
  // (a batch is applied entirely or not at all), and are deleted again later.
  return write(ops, false);
}

namespace {

// The ids in a or b, ascending, each once.
std::vector<uint64_t> merged(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

status checkpoint_store::drop_if(uint64_t job, const std::function<bool(uint64_t)>& doomed) {
  auto saves = checkpoint_ids(savepoint_kind, job);
  if (!saves.ok()) return saves.error();
  auto recs = checkpoint_ids(record_kind, job);
  if (!recs.ok()) return recs.error();
  auto snaps = checkpoint_ids(snapshot_kind, job);
  if (!snaps.ok()) return snaps.error();
  std::vector<uint64_t> ids;
  for (auto id : merged(recs.value(), snaps.value()))
    if (!std::binary_search(saves->begin(), saves->end(), id) && doomed(id)) ids.push_back(id);
  return erase(job, ids);
}

status checkpoint_store::retain(uint64_t job, uint32_t n) {
  if (n == 0) return status::invalid_argument("at least one complete checkpoint must be retained");
  // The complete checkpoints are those with a readable record; a damaged
  // record counts as incomplete. If the records cannot be read, nothing is deleted.
  checkpoint_listing complete;
  auto st = scan_records(job, complete);
  if (!st.ok()) return st;
  if (complete.checkpoints.empty()) return {};
  uint64_t newest_complete = complete.checkpoints.back().id;
  std::vector<uint64_t> plain;  // ascending
  for (const auto& r : complete.checkpoints)
    if (!r.savepoint) plain.push_back(r.id);
  std::vector<uint64_t> keep(plain.end() - std::min<size_t>(plain.size(), n), plain.end());
  return drop_if(job, [&](uint64_t id) {
    return id < newest_complete && !std::binary_search(keep.begin(), keep.end(), id);
  });
}

status checkpoint_store::drop_before(uint64_t job, uint64_t checkpoint) {
  return drop_if(job, [checkpoint](uint64_t id) { return id < checkpoint; });
}

status checkpoint_store::drop_job(uint64_t job) {
  return drop_if(job, [](uint64_t) { return true; });
}

result<uint64_t> checkpoint_store::highest_id(uint64_t job) const {
  uint64_t highest = 0;
  for (const auto* kind : {&record_kind, &snapshot_kind}) {
    auto key = last_key(job_prefix(*kind, job));
    if (!key.ok()) return key.error();
    uint64_t k_job = 0, k_id = 0;
    if (key->has_value() && parse_ids(**key, *kind, k_job, k_id)) highest = std::max(highest, k_id);
  }
  return highest;
}

}  // namespace nagare
