// The checkpoint store: the operations once, over two backends (LevelDB and
// a std::map, checkpoint_store_backends.cpp) that only read, write and scan
// keys. Records and snapshot indexes are stored in the forms of
// checkpoint_record.hpp.
#include "checkpoint_store.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <set>

#include "checkpoint_record.hpp"

namespace nagare {

namespace {

const std::string record_kind = "rec/";
const std::string index_kind = "idx/";
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

std::string name(uint64_t job, uint64_t checkpoint) {
  return "checkpoint " + std::to_string(checkpoint) + " of job " + std::to_string(job);
}

// Parses "<job hex>/<checkpoint hex>..." after the kind prefix.
bool parse_ids(std::string_view key, const std::string& kind, uint64_t& job, uint64_t& checkpoint) {
  if (key.substr(0, kind.size()) != kind) return false;
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

namespace {

std::string index_key(uint64_t job, uint64_t checkpoint, uint32_t task) {
  return checkpoint_prefix(index_kind, job, checkpoint) + "/" + hex(task, 8);
}

// The key of chunk `chunk` of a snapshot.
std::string chunk_key(uint64_t job, uint64_t checkpoint, uint32_t task, uint32_t chunk) {
  auto key = checkpoint_snapshot_key(job, checkpoint, task);
  return chunk == 0 ? key : key + "/" + hex(chunk, 8);
}

std::string task_name(uint64_t job, uint64_t checkpoint, uint32_t task) {
  return name(job, checkpoint) + ", task " + std::to_string(task);
}

}  // namespace

// ---- the store ----

checkpoint_store::~checkpoint_store() = default;

status checkpoint_store::put_snapshot(uint64_t job, uint64_t checkpoint, uint32_t task,
                                      std::string_view bytes, bool sync,
                                      const std::vector<uint64_t>& needs, size_t chunk_bytes) {
  chunk_bytes = std::max<size_t>(chunk_bytes, 1);
  auto chunks =
      static_cast<uint32_t>(std::max<size_t>(1, (bytes.size() + chunk_bytes - 1) / chunk_bytes));
  for (uint32_t i = 0; i < chunks; ++i) {
    auto st = put_snapshot_chunk(job, checkpoint, task, i, chunks,
                                 bytes.substr(static_cast<size_t>(i) * chunk_bytes, chunk_bytes),
                                 needs, sync);
    if (!st.ok()) return st;
  }
  return {};
}

status checkpoint_store::put_snapshot_chunk(uint64_t job, uint64_t checkpoint, uint32_t task,
                                            uint32_t chunk, uint32_t chunks, std::string_view bytes,
                                            const std::vector<uint64_t>& needs, bool sync) {
  if (chunks == 0 || chunk >= chunks)
    return status::invalid_argument(task_name(job, checkpoint, task) + ": chunk " +
                                    std::to_string(chunk) + " of " + std::to_string(chunks));
  for (auto id : needs)
    if (id >= checkpoint)
      return status::invalid_argument(task_name(job, checkpoint, task) +
                                      " cannot need checkpoint " + std::to_string(id) +
                                      " (not an earlier one)");
  snapshot_index x{chunks, chunk + 1 == chunks, needs};
  std::sort(x.needs.begin(), x.needs.end());
  x.needs.erase(std::unique(x.needs.begin(), x.needs.end()), x.needs.end());
  const auto index = encode_snapshot_index(x);
  std::vector<write_op> ops;
  ops.push_back({chunk_key(job, checkpoint, task, chunk), bytes});
  ops.push_back({index_key(job, checkpoint, task), std::string_view(index)});
  if (chunk == 0) {
    // A replaced snapshot with more chunks leaves none of them behind.
    auto old = get(index_key(job, checkpoint, task));
    if (old.ok()) {
      auto o = decode_snapshot_index(old.value());
      for (uint32_t i = chunks; o.ok() && i < o->chunks; ++i)
        ops.push_back({chunk_key(job, checkpoint, task, i), std::nullopt});
    }
  }
  return write(ops, sync);
}

namespace {

// The index of a stored snapshot (not_found if there is none or not all of
// its chunks are stored, io_error if damaged).
template <class Get>
result<snapshot_index> stored_index(const Get& get, uint64_t job, uint64_t checkpoint,
                                    uint32_t task) {
  auto v = get(index_key(job, checkpoint, task));
  if (!v.ok()) {
    if (v.error().code() == errc::not_found)
      return status::not_found(name(job, checkpoint) + " has no snapshot of task " +
                               std::to_string(task));
    return v.error();
  }
  auto x = decode_snapshot_index(v.value());
  if (!x.ok())
    return status::io_error(task_name(job, checkpoint, task) + ": " + x.error().message());
  if (!x->whole)
    return status::not_found(name(job, checkpoint) + " has no snapshot of task " +
                             std::to_string(task) + " (its upload did not finish)");
  return x;
}

}  // namespace

result<checkpoint_store::snapshot_piece> checkpoint_store::snapshot_chunk(uint64_t job,
                                                                          uint64_t checkpoint,
                                                                          uint32_t task,
                                                                          uint32_t chunk) const {
  auto x = stored_index([this](const std::string& k) { return get(k); }, job, checkpoint, task);
  if (!x.ok()) return x.error();
  if (chunk >= x->chunks)
    return status::invalid_argument(task_name(job, checkpoint, task) + " has no chunk " +
                                    std::to_string(chunk) + " (it has " +
                                    std::to_string(x->chunks) + ")");
  auto v = get(chunk_key(job, checkpoint, task, chunk));
  if (!v.ok()) {
    if (v.error().code() == errc::not_found)
      return status::io_error(task_name(job, checkpoint, task) + ": chunk " +
                              std::to_string(chunk) + " of its snapshot is missing");
    return v.error();
  }
  return snapshot_piece{x->chunks, std::move(v.value())};
}

result<std::string> checkpoint_store::snapshot(uint64_t job, uint64_t checkpoint,
                                               uint32_t task) const {
  auto first = snapshot_chunk(job, checkpoint, task, 0);
  if (!first.ok()) return first.error();
  if (first->chunks == 1) return std::move(first->bytes);
  std::string out = std::move(first->bytes);
  out.reserve(out.size() * first->chunks);
  for (uint32_t i = 1; i < first->chunks; ++i) {
    auto piece = snapshot_chunk(job, checkpoint, task, i);
    if (!piece.ok()) return piece.error();
    out += piece->bytes;
  }
  return out;
}

result<std::vector<uint64_t>> checkpoint_store::snapshot_needs(uint64_t job, uint64_t checkpoint,
                                                               uint32_t task) const {
  auto x = stored_index([this](const std::string& k) { return get(k); }, job, checkpoint, task);
  if (!x.ok()) return x.error();
  return std::move(x->needs);
}

status checkpoint_store::complete(const stored_checkpoint& record) {
  if (record.id == 0)
    return status::invalid_argument("checkpoint ids start at 1 (job " +
                                    std::to_string(record.job_id) + ")");
  // Every task of the record must have its snapshot stored, and every
  // snapshot that one needs.
  auto get_fn = [this](const std::string& k) { return get(k); };
  stored_checkpoint stored = record;
  for (auto& t : stored.tasks) {
    auto x = stored_index(get_fn, record.job_id, record.id, t.task);
    if (!x.ok())
      return status::invalid_argument(name(record.job_id, record.id) +
                                      " cannot be complete: task " + std::to_string(t.task) +
                                      " has no snapshot stored (" + x.error().message() + ")");
    for (auto id : x->needs) {
      auto link = stored_index(get_fn, record.job_id, id, t.task);
      if (!link.ok())
        return status::invalid_argument(
            name(record.job_id, record.id) + " cannot be complete: the snapshot of task " +
            std::to_string(t.task) + " needs its snapshot of checkpoint " + std::to_string(id) +
            ", which is not stored (" + link.error().message() + ")");
    }
    t.needs = std::move(x->needs);
  }
  const auto bytes = encode_checkpoint_record(stored);
  std::vector<write_op> ops;
  ops.push_back({checkpoint_record_key(record.job_id, record.id), std::string_view(bytes)});
  ops.push_back({savepoint_key(record.job_id, record.id),
                 record.savepoint ? std::optional<std::string_view>("") : std::nullopt});
  return write(ops, true);
}

result<stored_checkpoint> checkpoint_store::record(uint64_t job, uint64_t checkpoint) const {
  auto v = get(checkpoint_record_key(job, checkpoint));
  if (!v.ok()) {
    if (v.error().code() == errc::not_found)
      return status::not_found(name(job, checkpoint) + " is not complete (no record stored)");
    return v.error();
  }
  return decode_checkpoint_record(job, checkpoint, v.value());
}

status checkpoint_store::scan_records(uint64_t job, checkpoint_listing& out) const {
  return scan(job_prefix(record_kind, job), [&](std::string_view key, std::string_view value) {
    uint64_t k_job = 0, k_id = 0;
    if (!parse_ids(key, record_kind, k_job, k_id)) return true;  // not ours
    auto r = decode_checkpoint_record(k_job, k_id, value);
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

status checkpoint_store::drop_unneeded(uint64_t job, const std::function<bool(uint64_t)>& kept) {
  auto saves = checkpoint_ids(savepoint_kind, job);
  if (!saves.ok()) return saves.error();
  auto recs = checkpoint_ids(record_kind, job);
  if (!recs.ok()) return recs.error();
  auto saved = [&](uint64_t id) { return std::binary_search(saves->begin(), saves->end(), id); };
  // Every stored snapshot (whole or not) with its index; a damaged index is
  // nullopt (its snapshot cannot be read, so it needs nothing).
  std::map<std::pair<uint64_t, uint32_t>, std::optional<snapshot_index>> snaps;
  const auto prefix = job_prefix(index_kind, job);
  auto st = scan(prefix, [&](std::string_view key, std::string_view value) {
    uint64_t k_job = 0, k_id = 0, task = 0;
    if (!parse_ids(key, index_kind, k_job, k_id) || key.size() < prefix.size() + 25 ||
        !parse_hex(key.substr(prefix.size() + 17), 8, task))
      return true;  // not ours
    auto x = decode_snapshot_index(value);
    snaps[{k_id, static_cast<uint32_t>(task)}] =
        x.ok() ? std::optional<snapshot_index>(std::move(x.value())) : std::nullopt;
    return true;
  });
  if (!st.ok()) return st;
  // Needs point to lower ids: one pass from the highest id down finds them all.
  std::set<std::pair<uint64_t, uint32_t>> needed;
  for (auto it = snaps.rbegin(); it != snaps.rend(); ++it) {
    auto [id, task] = it->first;
    if (kept(id) || saved(id)) needed.insert(it->first);
    if (!needed.count(it->first) || !it->second) continue;
    for (auto n : it->second->needs) needed.insert({n, task});
  }
  std::vector<std::string> keys;
  for (const auto& [at, x] : snaps) {
    if (needed.count(at)) continue;
    auto [id, task] = at;
    keys.push_back(index_key(job, id, task));
    if (x) {
      for (uint32_t c = 0; c < x->chunks; ++c) keys.push_back(chunk_key(job, id, task, c));
    } else {
      auto st =
          scan(checkpoint_snapshot_key(job, id, task), [&](std::string_view key, std::string_view) {
            keys.emplace_back(key);
            return true;
          });
      if (!st.ok()) return st;
    }
  }
  for (auto id : recs.value())
    if (!kept(id) && !saved(id)) keys.push_back(checkpoint_record_key(job, id));
  if (keys.empty()) return {};
  std::vector<write_op> ops;
  ops.reserve(keys.size());
  for (const auto& k : keys) ops.push_back({k, std::nullopt});
  // Not synced: after a crash the deleted snapshots may be back, whole
  // (a batch is applied entirely or not at all), and are deleted again later.
  return write(ops, false);
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
  return drop_unneeded(job, [&](uint64_t id) {
    return id >= newest_complete || std::binary_search(keep.begin(), keep.end(), id);
  });
}

status checkpoint_store::drop_before(uint64_t job, uint64_t checkpoint) {
  return drop_unneeded(job, [checkpoint](uint64_t id) { return id >= checkpoint; });
}

status checkpoint_store::drop_job(uint64_t job) {
  return drop_unneeded(job, [](uint64_t) { return false; });
}

result<uint64_t> checkpoint_store::highest_id(uint64_t job) const {
  uint64_t highest = 0;
  for (const auto* kind : {&record_kind, &index_kind}) {
    auto key = last_key(job_prefix(*kind, job));
    if (!key.ok()) return key.error();
    uint64_t k_job = 0, k_id = 0;
    if (key->has_value() && parse_ids(**key, *kind, k_job, k_id)) highest = std::max(highest, k_id);
  }
  return highest;
}

}  // namespace nagare
