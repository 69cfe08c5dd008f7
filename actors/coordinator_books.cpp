#include "coordinator_books.hpp"

#include <algorithm>

namespace nagare {

std::string damaged_metadata(const std::string& data_dir, const std::string& what) {
  return "the coordinator's metadata in " + metadata_store::directory(data_dir) +
         " is damaged: " + what +
         ". Nothing was changed. Restore it from a backup, or start the coordinator once with "
         "--recover-metadata: it keeps what can still be read, rebuilds the jobs the checkpoint "
         "store knows, reports what was lost and moves the damaged copy aside";
}

result<coordinator_books> read_books(metadata_store& store, const checkpoint_store& checkpoints,
                                     const job_id_mark& mark, const std::string& data_dir) {
  auto damaged = [&](const std::string& what) {
    return status(errc::corruption, damaged_metadata(data_dir, what));
  };
  if (auto verified = store.verify(); !verified.ok()) {
    if (verified.code() != errc::corruption) return verified;
    return damaged(verified.message());
  }
  auto stored = store.jobs();
  if (!stored.ok()) {
    if (stored.error().code() != errc::corruption) return stored.error();
    return damaged(stored.error().message());
  }
  coordinator_books books;
  for (auto& [id, bytes] : stored.value()) {
    auto rec = decode_job_record(bytes);
    if (!rec.ok())
      return damaged("the record of job " + std::to_string(id) + " cannot be decoded (" +
                     rec.error().message() + ")");
    if (rec->id != id)
      return damaged("the record stored as job " + std::to_string(id) + " describes job " +
                     std::to_string(rec->id));
    books.records.emplace(id, std::move(rec.value()));
  }

  // Libraries under a hash of an earlier build: stored again under SHA-256.
  std::map<std::string, std::string> upgraded;  // legacy hash -> SHA-256
  for (auto& [id, rec] : books.records) {
    auto& hash = rec.job.library_hash;
    if (!is_legacy_library_hash(hash)) continue;
    auto known = upgraded.find(hash);
    if (known == upgraded.end()) {
      auto now = store.upgrade_legacy_library(hash);
      if (!now.ok()) {
        if (now.error().code() == errc::corruption) return damaged(now.error().message());
        continue;  // not stored: only a running job needs it (below)
      }
      books.notes.push_back("job library " + hash + " of an earlier build is now stored as " +
                            now.value() + " (SHA-256)");
      known = upgraded.emplace(hash, now.value()).first;
    }
    hash = known->second;
  }
  for (auto& [id, rec] : books.records) {
    if (rec.state != job_state::running || rec.job.library_hash.rfind("linked:", 0) == 0) continue;
    auto lib = store.library(rec.job.library_hash);
    if (lib.ok()) continue;
    if (lib.error().code() == errc::corruption) return damaged(lib.error().message());
    rec.state = job_state::failed;
    rec.reason = "cannot resume: its job library " + rec.job.library_hash + " is not stored";
    books.notes.push_back("job " + std::to_string(id) + " " + rec.reason);
  }

  uint64_t highest = books.records.empty() ? 0 : books.records.rbegin()->first;
  auto in_checkpoints = checkpoints.highest_job_id();
  if (!in_checkpoints.ok()) return in_checkpoints.error();
  highest = std::max(highest, in_checkpoints.value());
  auto marked = mark.read();
  if (marked.ok())
    highest = std::max(highest, marked.value());
  else
    books.notes.push_back(marked.error().message() + "; ignored, the next submission rewrites it");
  books.next_job_id = highest + 1;
  return books;
}

}  // namespace nagare
