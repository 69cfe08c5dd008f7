// The checkpoint store's two backends, ordered maps from byte strings to
// byte strings: LevelDB for a directory (what the coordinator and the nodes
// run) and a std::map for none (tests, embedded runs without a data
// directory). checkpoint_store.cpp holds the operations over them.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint_store.hpp"
#include "pread_env.hpp"

namespace nagare {

namespace {

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

class memory_store final : public checkpoint_store {
 private:
  status write(const std::vector<write_op>& ops, bool) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& op : ops) {
      if (op.value)
        map_[op.key].assign(op.value->data(), op.value->size());
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

  // Reads bypass the block cache: a block holds a whole chunk (megabytes),
  // read once by a restore or an upload, and each cache shard would keep its
  // last such block long after.
  static leveldb::ReadOptions read_options() {
    leveldb::ReadOptions r;
    r.verify_checksums = true;
    r.fill_cache = false;
    return r;
  }

  status write(const std::vector<write_op>& ops, bool sync) override {
    leveldb::WriteBatch batch;
    for (const auto& op : ops) {
      if (op.value)
        batch.Put(op.key, leveldb::Slice(op.value->data(), op.value->size()));
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

result<std::unique_ptr<checkpoint_store>> checkpoint_store::open(const std::string& dir) {
  if (dir.empty()) return std::unique_ptr<checkpoint_store>(new memory_store);
  leveldb::Options opts;
  opts.create_if_missing = true;
  opts.paranoid_checks = true;
  // Uncompressed: compressing a block of a chunk's size makes another copy
  // of it, in memory, for every table written.
  opts.compression = leveldb::kNoCompression;
  opts.env = pread_env();
  leveldb::DB* db = nullptr;
  auto st = leveldb::DB::Open(opts, dir, &db);
  if (!st.ok())
    return status::io_error("cannot open the checkpoint store in '" + dir + "': " + st.ToString());
  return std::unique_ptr<checkpoint_store>(
      new leveldb_store(std::unique_ptr<leveldb::DB>(db), dir));
}

}  // namespace nagare
