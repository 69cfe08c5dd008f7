// The checkpoint store's tests' shared part: sample snapshots and records,
// and a fixture that opens the store in memory or in LevelDB.
#pragma once

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint_store.hpp"
#include "process.hpp"

namespace nagare::testing {

using namespace std::string_literals;

inline bool mentions(const status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

// Bytes a text-only store would mangle: NULs, high bytes, no terminator.
inline const std::string binary_bytes = "\0\x01\xff\xfe"s + std::string(3000, '\0') + "end"s;

inline std::string snapshot_bytes(uint64_t job, uint64_t checkpoint, uint32_t task) {
  return binary_bytes + std::to_string(job) + "/" + std::to_string(checkpoint) + "/" +
         std::to_string(task);
}

inline stored_checkpoint make_record(uint64_t job, uint64_t id, bool savepoint = false) {
  stored_checkpoint r;
  r.job_id = job;
  r.id = id;
  r.savepoint = savepoint;
  r.completed_ms = 1700000000000 + static_cast<int64_t>(id);
  r.bytes = 2 * binary_bytes.size();
  r.tasks = {{0, {"source"}, false, {}}, {1, {"map", "#3", ""}, true, {}}};
  return r;
}

inline std::vector<uint64_t> ids_of(const checkpoint_listing& l) {
  std::vector<uint64_t> out;
  for (const auto& c : l.checkpoints) out.push_back(c.id);
  return out;
}

class checkpoint_store_fixture : public ::testing::Test {
 protected:
  explicit checkpoint_store_fixture(bool on_disk) : on_disk_(on_disk) {}
  // LevelDB in the temp dir, or in memory.
  std::string store_dir() const { return on_disk_ ? dir_ : std::string(); }

  std::unique_ptr<checkpoint_store> open_store() {
    auto s = checkpoint_store::open(store_dir());
    EXPECT_TRUE(s.ok()) << s.error().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }

  void put_snapshots(checkpoint_store& s, uint64_t job, uint64_t id) {
    for (uint32_t t = 0; t < 2; ++t)
      ASSERT_TRUE(s.put_snapshot(job, id, t, snapshot_bytes(job, id, t), true).ok());
  }
  // A complete checkpoint: both tasks' snapshots, then the record.
  void complete(checkpoint_store& s, uint64_t job, uint64_t id, bool savepoint = false) {
    put_snapshots(s, job, id);
    auto st = s.complete(make_record(job, id, savepoint));
    ASSERT_TRUE(st.ok()) << st.message();
  }
  std::vector<uint64_t> completed(checkpoint_store& s, uint64_t job) {
    auto l = s.completed(job);
    EXPECT_TRUE(l.ok()) << l.error().message();
    if (!l.ok()) return {};
    EXPECT_TRUE(l->damaged.empty()) << l->damaged.front();
    return ids_of(l.value());
  }
  bool has_snapshot(checkpoint_store& s, uint64_t job, uint64_t id) {
    return s.snapshot(job, id, 0).ok();
  }
  // Replaces a stored value through LevelDB itself (the store must be closed).
  void overwrite(const std::string& key, const std::function<void(std::string&)>& change) {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir_, &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    std::string value;
    ASSERT_TRUE(db->Get(leveldb::ReadOptions(), key, &value).ok()) << key;
    change(value);
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), key, value).ok());
  }

  bool on_disk_;
  temp_dir tmp_;  // removed with its contents after the test
  std::string dir_ = tmp_ / "checkpoints";
};

// What both backends must do alike: the parameter is true for LevelDB, false for memory.
class checkpoint_store_test : public checkpoint_store_fixture,
                              public ::testing::WithParamInterface<bool> {
 protected:
  checkpoint_store_test() : checkpoint_store_fixture(GetParam()) {}
};

// What only a directory can show: reopening, and damage injected through LevelDB.
class checkpoint_store_disk_test : public checkpoint_store_fixture {
 protected:
  checkpoint_store_disk_test() : checkpoint_store_fixture(true) {}
};

}  // namespace nagare::testing
