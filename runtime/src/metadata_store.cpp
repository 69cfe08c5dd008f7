#include "metadata_store.hpp"

#include <leveldb/db.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "nagare/hash.hpp"

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

std::string library_hash(const std::string& bytes) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx",
                static_cast<unsigned long long>(
                    hash_bytes(bytes.data(), bytes.size(), 0x6e61676172650001ULL)),
                static_cast<unsigned long long>(
                    hash_bytes(bytes.data(), bytes.size(), 0x6e61676172650002ULL)));
  return buf;
}

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
  auto st = leveldb::DB::Open(opts, dir + "/metadata", &db);
  if (!st.ok()) return status::io_error("cannot open metadata in '" + dir + "': " + st.ToString());
  store->db_.reset(db);
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
    return status::io_error("cannot read metadata: " + it->status().ToString());
  return out;
}

}  // namespace nagare
