#include "metadata_store.hpp"

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/table.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace nagare {

namespace {
const std::string library_prefix = "library/";
const std::string job_prefix = "job/";
constexpr size_t job_id_digits = 20;  // UINT64_MAX has 20
}  // namespace

std::string job_record_key(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(id));  // sorts by id
  return job_prefix + buf;
}

result<uint64_t> job_id_of_key(std::string_view key) {
  auto damaged = [&] {
    return status::io_error("damaged metadata: '" + std::string(key) + "' is not a job key (" +
                            job_prefix + std::to_string(job_id_digits) + " decimal digits)");
  };
  if (key.size() != job_prefix.size() + job_id_digits ||
      key.substr(0, job_prefix.size()) != job_prefix)
    return damaged();
  uint64_t id = 0;
  for (char c : key.substr(job_prefix.size())) {
    if (c < '0' || c > '9') return damaged();
    const auto d = static_cast<uint64_t>(c - '0');
    if (id > (UINT64_MAX - d) / 10) return damaged();
    id = id * 10 + d;
  }
  return id;
}

namespace {

// Whether bytes stored under library/<hash> match that hash (either form).
bool library_matches(const std::string& hash, const std::string& bytes) {
  if (is_library_hash(hash)) return library_hash(bytes) == hash;
  if (is_legacy_library_hash(hash)) return legacy_library_hash(bytes) == hash;
  return false;
}

// The table files (*.ldb) of the LevelDB in dir that fail their checksums,
// ", "-separated: LevelDB's own message does not always name the file.
std::string damaged_tables(const std::string& dir) {
  std::string out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".ldb") continue;
    auto name = e.path().string();
    leveldb::Options opts;
    opts.paranoid_checks = true;  // the footer and index are verified too
    leveldb::RandomAccessFile* raw_file = nullptr;
    uint64_t size = 0;
    leveldb::Table* raw_table = nullptr;
    auto* env = leveldb::Env::Default();
    auto st = env->GetFileSize(name, &size);
    if (st.ok()) st = env->NewRandomAccessFile(name, &raw_file);
    std::unique_ptr<leveldb::RandomAccessFile> file(raw_file);
    if (st.ok()) st = leveldb::Table::Open(opts, file.get(), size, &raw_table);
    std::unique_ptr<leveldb::Table> table(raw_table);
    if (st.ok()) {
      leveldb::ReadOptions r;
      r.verify_checksums = true;
      r.fill_cache = false;
      std::unique_ptr<leveldb::Iterator> it(table->NewIterator(r));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
      }
      st = it->status();
    }
    if (!st.ok()) out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

leveldb::ReadOptions verified_reads() {
  leveldb::ReadOptions r;
  r.verify_checksums = true;
  r.fill_cache = false;  // one pass over everything: keep the cache for later reads
  return r;
}
}  // namespace

metadata_store::~metadata_store() = default;

result<std::unique_ptr<metadata_store>> metadata_store::open(const std::string& dir) {
  std::unique_ptr<metadata_store> store(new metadata_store);
  if (dir.empty()) return store;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return status::io_error("cannot create data directory '" + dir + "': " + std::strerror(errno));
  leveldb::Options opts;
  opts.create_if_missing = true;
  opts.paranoid_checks = true;
  leveldb::DB* db = nullptr;
  auto st = leveldb::DB::Open(opts, directory(dir), &db);
  if (!st.ok())
    return status(st.IsCorruption() ? errc::corruption : errc::io_error,
                  "cannot open metadata in '" + dir + "': " + st.ToString());
  store->db_.reset(db);
  store->dir_ = directory(dir);
  return store;
}

status metadata_store::put(const std::string& key, const std::string& value) {
  if (!db_) {
    mem_[key] = value;
    return {};
  }
  leveldb::WriteOptions w;
  w.sync = true;
  auto st = db_->Put(w, key, value);
  return st.ok() ? status{} : status::io_error("cannot write metadata: " + st.ToString());
}

result<std::string> metadata_store::get(const std::string& key) const {
  if (!db_) {
    auto i = mem_.find(key);
    if (i == mem_.end()) return status::not_found(key);
    return i->second;
  }
  leveldb::ReadOptions r;
  r.verify_checksums = true;
  std::string value;
  auto st = db_->Get(r, key, &value);
  if (st.IsNotFound()) return status::not_found(key);
  if (!st.ok()) return status::io_error("cannot read metadata: " + st.ToString());
  return value;
}

status metadata_store::put_library(const std::string& hash, const std::string& bytes) {
  return put(library_prefix + hash, bytes);
}

result<std::string> metadata_store::library(const std::string& hash) const {
  auto v = get(library_prefix + hash);
  if (!v.ok() && v.error().code() == errc::not_found)
    return status::not_found("no job library with hash " + hash);
  return v;
}

status metadata_store::put_job(uint64_t id, const std::string& record) {
  return put(job_record_key(id), record);
}

result<std::map<uint64_t, std::string>> metadata_store::jobs() const {
  std::map<uint64_t, std::string> out;
  auto add = [&](std::string_view key, std::string value) {
    auto id = job_id_of_key(key);
    if (!id.ok()) return id.error();
    out[id.value()] = std::move(value);
    return status{};
  };
  if (!db_) {
    for (auto i = mem_.lower_bound(job_prefix);
         i != mem_.end() && i->first.rfind(job_prefix, 0) == 0; ++i)
      if (auto st = add(i->first, i->second); !st.ok()) return st;
    return out;
  }
  leveldb::ReadOptions r;
  r.verify_checksums = true;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(r));
  for (it->Seek(job_prefix); it->Valid() && it->key().starts_with(job_prefix); it->Next())
    if (auto st = add(std::string_view(it->key().data(), it->key().size()), it->value().ToString());
        !st.ok())
      return st;
  if (!it->status().ok())
    return status(it->status().IsCorruption() ? errc::corruption : errc::io_error,
                  "cannot read metadata: " + it->status().ToString());
  return out;
}

status metadata_store::verify() const {
  if (!db_) return {};
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(verified_reads()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = it->key().ToString();
    if (key.rfind(library_prefix, 0) == 0) {
      auto hash = key.substr(library_prefix.size());
      if (!library_matches(hash, it->value().ToString()))
        return status(
            errc::corruption,
            "job library " + hash + " (its bytes do not match the hash they are stored under)");
    } else if (key.rfind(job_prefix, 0) == 0) {
      if (auto id = job_id_of_key(key); !id.ok())
        return status(errc::corruption, id.error().message());
    }
  }
  if (!it->status().ok()) {
    auto tables = it->status().IsCorruption() ? damaged_tables(dir_) : std::string();
    return status(it->status().IsCorruption() ? errc::corruption : errc::io_error,
                  it->status().ToString() + (tables.empty() ? "" : " in " + tables));
  }
  return {};
}

result<std::string> metadata_store::upgrade_legacy_library(const std::string& legacy_hash) {
  auto bytes = library(legacy_hash);
  if (!bytes.ok()) return bytes.error();
  if (legacy_library_hash(bytes.value()) != legacy_hash)
    return status(errc::corruption, "job library " + legacy_hash +
                                        " (its bytes do not match the hash they are stored under)");
  auto hash = library_hash(bytes.value());
  auto stored = put_library(hash, bytes.value());
  if (!stored.ok()) return stored;
  return hash;
}

result<metadata_store::salvage> metadata_store::salvage_from(const std::string& damaged_dir) {
  namespace fs = std::filesystem;
  const auto scratch = damaged_dir + ".repair";
  std::error_code ec;
  fs::remove_all(scratch, ec);
  fs::copy(damaged_dir, scratch, fs::copy_options::recursive, ec);
  if (ec)
    return status::io_error("cannot copy '" + damaged_dir + "' to '" + scratch +
                            "': " + ec.message());
  struct cleanup {
    std::string dir;
    ~cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } remove_scratch{scratch};
  leveldb::Options opts;
  opts.paranoid_checks = true;  // RepairDB then drops blocks whose checksums fail
  auto st = leveldb::RepairDB(scratch, opts);
  if (!st.ok())
    return status(errc::corruption,
                  "cannot repair a copy of '" + damaged_dir + "': " + st.ToString());
  leveldb::DB* raw = nullptr;
  st = leveldb::DB::Open(opts, scratch, &raw);
  if (!st.ok())
    return status(errc::corruption,
                  "cannot open the repaired copy of '" + damaged_dir + "': " + st.ToString());
  std::unique_ptr<leveldb::DB> db(raw);
  salvage out;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(verified_reads()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = it->key().ToString();
    if (key.rfind(library_prefix, 0) == 0) {
      auto hash = key.substr(library_prefix.size());
      auto bytes = it->value().ToString();
      if (!library_matches(hash, bytes)) {
        out.lost.push_back("job library " + hash + ": its bytes do not match their hash");
        continue;
      }
      auto put = put_library(hash, bytes);
      if (!put.ok()) return put;
      out.libraries.push_back(hash);
    } else if (auto id = job_id_of_key(key); id.ok()) {
      out.jobs[id.value()] = it->value().ToString();
    } else {
      out.lost.push_back("an entry under an unknown key (" + std::to_string(key.size()) +
                         " bytes)");
    }
  }
  // The copy was repaired: what fails now fails again on every read.
  if (!it->status().ok())
    out.lost.push_back("what followed a damaged block: " + it->status().ToString());
  return out;
}

}  // namespace nagare
