#include "metadata_recovery.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>

namespace nagare {

namespace {

namespace fs = std::filesystem;

// DATA/metadata.damaged-<UTC time>, with a number added if that exists.
std::string aside_name(const std::string& data_dir) {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  auto base = metadata_store::directory(data_dir) + ".damaged-" + stamp;
  auto name = base;
  for (int n = 2; fs::exists(name); ++n) name = base + "-" + std::to_string(n);
  return name;
}

// "1-3, 7, 9-10" for ascending ids.
std::string ranges(const std::vector<uint64_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(ids[i]);
    if (j > i) out += "-" + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

// "job 3" or "jobs 1-3, 7".
std::string jobs_named(const std::vector<uint64_t>& ids) {
  return (ids.size() == 1 ? "job " : "jobs ") + ranges(ids);
}

}  // namespace

result<std::vector<std::string>> salvage_metadata(const std::string& data_dir) {
  const auto dir = metadata_store::directory(data_dir);
  const auto aside = aside_name(data_dir);
  std::error_code ec;
  fs::rename(dir, aside, ec);
  if (ec) return status::io_error("cannot move '" + dir + "' to '" + aside + "': " + ec.message());
  std::vector<std::string> report{"moved the damaged metadata to " + aside};
  auto fresh = metadata_store::open(data_dir);
  if (!fresh.ok()) return fresh.error();
  auto& store = *fresh.value();
  auto salvaged = store.salvage_from(aside);
  if (!salvaged.ok()) return salvaged.error();
  std::vector<uint64_t> kept;
  for (const auto& [id, bytes] : salvaged->jobs) {
    auto rec = decode_job_record(bytes);
    if (!rec.ok() || rec->id != id) {
      report.push_back("lost the record of job " + std::to_string(id) + ": it cannot be decoded");
      continue;
    }
    auto put = store.put_job(id, bytes);
    if (!put.ok()) return put;
    kept.push_back(id);
  }
  report.push_back(
      "kept what could still be read: " +
      (kept.empty() ? std::string("no job record") : "the records of " + jobs_named(kept)) + ", " +
      std::to_string(salvaged->libraries.size()) + " job librar" +
      (salvaged->libraries.size() == 1 ? "y" : "ies"));
  for (const auto& lost : salvaged->lost) report.push_back("lost " + lost);
  return report;
}

result<std::vector<std::string>> rebuild_lost_jobs(metadata_store& store, coordinator_books& books,
                                                   const checkpoint_store& checkpoints) {
  std::vector<std::string> report;
  auto jobs = checkpoints.jobs_with_checkpoints();
  if (!jobs.ok()) return jobs.error();
  for (auto id : jobs.value()) {
    if (books.records.count(id)) continue;
    auto listing = checkpoints.completed(id);
    if (!listing.ok()) return listing.error();
    std::vector<std::string> savepoints;
    uint64_t latest = 0;
    for (const auto& c : listing->checkpoints) {
      if (c.savepoint) savepoints.push_back(savepoint_id(id, c.id));
      latest = std::max(latest, c.id);
    }
    std::string detail;
    if (!savepoints.empty()) {
      detail = "savepoints";
      for (const auto& sp : savepoints) detail += " " + sp;
    } else if (latest != 0) {
      detail = "latest complete checkpoint " + std::to_string(latest);
    }
    job_record rec;
    rec.id = id;
    rec.name = "(record lost)";
    rec.state = job_state::failed;
    rec.reason = "its record was lost with damaged metadata; rebuilt from the checkpoint store" +
                 (detail.empty() ? "" : ": " + detail);
    auto put = store.put_job(id, encode_job_record(rec));
    if (!put.ok()) return put;
    report.push_back("rebuilt job " + std::to_string(id) + " from the checkpoint store" +
                     (detail.empty() ? "" : " (" + detail + ")"));
    books.records.emplace(id, std::move(rec));
  }
  std::vector<uint64_t> missing;
  for (uint64_t id = 1; id < books.next_job_id; ++id)
    if (!books.records.count(id)) missing.push_back(id);
  if (!missing.empty())
    report.push_back("lost the records of " + jobs_named(missing) +
                     " (nothing of them is in the checkpoint store); their ids are not reused");
  return report;
}

result<opened_metadata> open_metadata(const std::string& data_dir,
                                      const checkpoint_store& checkpoints, const job_id_mark& mark,
                                      bool recover) {
  opened_metadata out;
  auto store = metadata_store::open(data_dir);
  result<coordinator_books> books = status(errc::internal, "not read");
  if (store.ok()) {
    books = read_books(*store.value(), checkpoints, mark, data_dir);
  } else if (store.error().code() == errc::corruption) {
    books = status(errc::corruption, damaged_metadata(data_dir, store.error().message()));
  } else {
    return store.error();
  }
  if (!books.ok() && (!recover || books.error().code() != errc::corruption)) return books.error();
  if (!books.ok()) {
    store = status(errc::internal, "closed");  // the store must be closed before it moves
    auto salvaged = salvage_metadata(data_dir);
    if (!salvaged.ok()) return salvaged.error();
    out.report = std::move(salvaged.value());
    store = metadata_store::open(data_dir);
    if (!store.ok()) return store.error();
    books = read_books(*store.value(), checkpoints, mark, data_dir);
    if (!books.ok()) return books.error();
  } else if (recover) {
    out.report.push_back("the metadata can be read in full: nothing to salvage");
  }
  if (recover) {
    auto rebuilt = rebuild_lost_jobs(*store.value(), books.value(), checkpoints);
    if (!rebuilt.ok()) return rebuilt.error();
    out.report.insert(out.report.end(), rebuilt->begin(), rebuilt->end());
  }
  out.store = std::move(store.value());
  out.books = std::move(books.value());
  return out;
}

}  // namespace nagare
