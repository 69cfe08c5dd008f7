// kv_store on LevelDB: one database per store, with a bloom filter, a small
// block cache and no fsync (the store is scratch; checkpoints are durable).
// Table files are read with pread rather than mmap (pread_env.hpp).
#include <malloc.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include "nagare/detail/operator_failure.hpp"
#include "pread_env.hpp"
#include "state/kv_store.hpp"

namespace nagare::detail {

namespace {

leveldb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

[[noreturn]] void fail(const std::string& dir, const char* what, const leveldb::Status& s) {
  throw operator_failure(status(
      errc::io_error, std::string("state store ") + dir + ": " + what + ": " + s.ToString()));
}

class leveldb_iterator final : public kv_iterator {
 public:
  leveldb_iterator(leveldb::Iterator* it, const leveldb::Snapshot* snap, leveldb::DB* db,
                   const std::string* dir)
      : it_(it), snap_(snap), db_(db), dir_(dir) {}
  ~leveldb_iterator() override {
    it_.reset();
    db_->ReleaseSnapshot(snap_);
  }
  void seek(std::string_view key) override {
    it_->Seek(slice(key));
    check();
  }
  void seek_before(std::string_view key) override {
    if (key.empty())
      it_->SeekToLast();
    else {
      it_->Seek(slice(key));
      if (it_->Valid())
        it_->Prev();
      else
        it_->SeekToLast();
    }
    check();
  }
  bool valid() const override { return it_->Valid(); }
  void next() override {
    it_->Next();
    check();
  }
  std::string_view key() const override {
    auto k = it_->key();
    return {k.data(), k.size()};
  }
  std::string_view value() const override {
    auto v = it_->value();
    return {v.data(), v.size()};
  }

 private:
  void check() {
    if (!it_->Valid() && !it_->status().ok()) fail(*dir_, "iterating", it_->status());
  }
  std::unique_ptr<leveldb::Iterator> it_;
  const leveldb::Snapshot* snap_;
  leveldb::DB* db_;
  const std::string* dir_;
};

class leveldb_kv_store final : public kv_store {
 public:
  leveldb_kv_store(std::string dir, std::unique_ptr<leveldb::Cache> cache,
                   std::unique_ptr<const leveldb::FilterPolicy> filter, leveldb::DB* db)
      : dir_(std::move(dir)), cache_(std::move(cache)), filter_(std::move(filter)), db_(db) {}
  ~leveldb_kv_store() override {
    db_.reset();  // before the cache and filter it uses
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool get(std::string_view key, std::string& value) override {
    auto s = db_->Get(leveldb::ReadOptions(), slice(key), &value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) fail(dir_, "reading", s);
    return true;
  }
  void put(std::string_view key, std::string_view value) override {
    check(db_->Put(leveldb::WriteOptions(), slice(key), slice(value)));
  }
  void erase(std::string_view key) override {
    check(db_->Delete(leveldb::WriteOptions(), slice(key)));
  }
  void stage_put(std::string_view key, std::string_view value) override {
    batch_.Put(slice(key), slice(value));
  }
  void stage_erase(std::string_view key) override { batch_.Delete(slice(key)); }
  void commit() override {
    if (batch_.ApproximateSize() <= empty_batch_size_) return;
    check(db_->Write(leveldb::WriteOptions(), &batch_));
    batch_.Clear();
  }
  size_t staged_bytes() const override { return batch_.ApproximateSize() - empty_batch_size_; }
  std::unique_ptr<kv_iterator> iterate() override {
    leveldb::ReadOptions ro;
    ro.fill_cache = false;  // scans read each block once: do not flush the cache for them
    ro.snapshot = db_->GetSnapshot();
    return std::make_unique<leveldb_iterator>(db_->NewIterator(ro), ro.snapshot, db_.get(), &dir_);
  }
  const std::string& directory() const override { return dir_; }

 private:
  void check(const leveldb::Status& s) {
    if (!s.ok()) fail(dir_, "writing", s);
  }
  std::string dir_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteBatch batch_;
  size_t empty_batch_size_ = leveldb::WriteBatch().ApproximateSize();
};

}  // namespace

void kv_store::trim_heap() { ::malloc_trim(0); }

result<std::unique_ptr<kv_store>> kv_store::create(const std::string& parent, const options& opts) {
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec)
    return status(errc::io_error,
                  "cannot create the state directory '" + parent + "': " + ec.message());
  std::string dir = parent + "/kv-XXXXXX";
  if (!::mkdtemp(dir.data()))
    return status(errc::io_error,
                  "cannot create a state store under '" + parent + "': " + std::strerror(errno));
  std::unique_ptr<leveldb::Cache> cache(leveldb::NewLRUCache(opts.block_cache_bytes));
  std::unique_ptr<const leveldb::FilterPolicy> filter(
      leveldb::NewBloomFilterPolicy(opts.bloom_bits_per_key));
  leveldb::Options o;
  o.create_if_missing = true;
  o.error_if_exists = true;
  o.env = pread_env();
  o.block_cache = cache.get();
  o.filter_policy = filter.get();
  o.write_buffer_size = opts.write_buffer_bytes;
  o.max_file_size = 8 << 20;  // fewer, larger tables: fewer open files
  o.max_open_files = 256;
  // Rows are small and read at random: small blocks make a lookup that
  // misses the block cache cheaper, and compression would cost more CPU per
  // lookup than it saves in reads.
  o.block_size = 4096;
  o.compression = leveldb::kNoCompression;
  leveldb::DB* db = nullptr;
  auto s = leveldb::DB::Open(o, dir, &db);
  if (!s.ok()) {
    std::filesystem::remove_all(dir, ec);
    return status(errc::io_error, "cannot open a state store in '" + dir + "': " + s.ToString());
  }
  return std::unique_ptr<kv_store>(
      new leveldb_kv_store(std::move(dir), std::move(cache), std::move(filter), db));
}

}  // namespace nagare::detail
