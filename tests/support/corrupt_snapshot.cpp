#include "corrupt_snapshot.hpp"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <filesystem>
#include <memory>

#include "checkpoint_store.hpp"

namespace nagare::testing {

void corrupt_stored_snapshot(const std::string& store_dir, uint64_t job, uint64_t checkpoint,
                             uint32_t task) {
  leveldb::Options opts;  // no create_if_missing: the store must exist
  leveldb::DB* raw = nullptr;
  auto st = leveldb::DB::Open(opts, store_dir, &raw);
  if (!st.ok()) {
    ADD_FAILURE() << "cannot open the checkpoint store in " << store_dir << ": " << st.ToString();
    return;
  }
  std::unique_ptr<leveldb::DB> db(raw);
  const auto key = checkpoint_snapshot_key(job, checkpoint, task);
  std::string value;
  st = db->Get(leveldb::ReadOptions(), key, &value);
  if (!st.ok()) {
    ADD_FAILURE() << "no snapshot of task " << task << " of checkpoint " << checkpoint << " of job "
                  << job << " in " << store_dir << ": " << st.ToString();
    return;
  }
  if (value.empty()) {
    ADD_FAILURE() << "the snapshot of task " << task << " of checkpoint " << checkpoint
                  << " is empty: nothing to corrupt";
    return;
  }
  // One byte in the middle (the contents) and the last one.
  value[value.size() / 2] = static_cast<char>(value[value.size() / 2] ^ 0x5a);
  value.back() = static_cast<char>(value.back() ^ 0xff);
  leveldb::WriteOptions w;
  w.sync = true;
  st = db->Put(w, key, value);
  if (!st.ok()) ADD_FAILURE() << "cannot write the damaged snapshot: " << st.ToString();
}

std::vector<uint64_t> complete_checkpoints(const std::string& store_dir, uint64_t job) {
  std::vector<uint64_t> ids;
  if (!std::filesystem::exists(store_dir + "/CURRENT")) {  // open() would create an empty one
    ADD_FAILURE() << "no checkpoint store in '" << store_dir << "'";
    return ids;
  }
  auto store = checkpoint_store::open(store_dir);
  if (!store.ok()) {
    ADD_FAILURE() << store.error().message();
    return ids;
  }
  auto listing = store.value()->completed(job);
  if (!listing.ok()) {
    ADD_FAILURE() << listing.error().message();
    return ids;
  }
  for (const auto& c : listing->checkpoints) ids.push_back(c.id);
  return ids;
}

std::map<uint32_t, std::vector<uint64_t>> checkpoint_needs(const std::string& store_dir,
                                                           uint64_t job, uint64_t checkpoint) {
  std::map<uint32_t, std::vector<uint64_t>> out;
  if (!std::filesystem::exists(store_dir + "/CURRENT")) {
    ADD_FAILURE() << "no checkpoint store in '" << store_dir << "'";
    return out;
  }
  auto store = checkpoint_store::open(store_dir);
  if (!store.ok()) {
    ADD_FAILURE() << store.error().message();
    return out;
  }
  auto record = store.value()->record(job, checkpoint);
  if (!record.ok()) {
    ADD_FAILURE() << record.error().message();
    return out;
  }
  for (const auto& t : record->tasks) out[t.task] = t.needs;
  return out;
}

}  // namespace nagare::testing
