// The coordinator's durable metadata: job libraries by content hash, and one
// record per job. Kept in LevelDB under DATA_DIR/metadata (checksums
// verified on every read), or in memory when there is no data directory
// (embedded mode). Not thread-safe: owned by the coordinator actor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nagare/status.hpp"

namespace leveldb {
class DB;
}

namespace nagare {

// The content hash of a job library: 128 bits, hex.
std::string library_hash(const std::string& bytes);

// The key of job `id`'s record: "job/" and the id in 20 decimal digits (so
// that keys sort by id).
std::string job_record_key(uint64_t id);
// The id in a key job_record_key() made; io_error naming the key for any
// other.
result<uint64_t> job_id_of_key(std::string_view key);

class metadata_store {
 public:
  // dir empty: in memory. Otherwise creates DIR/metadata if needed.
  static result<std::unique_ptr<metadata_store>> open(const std::string& dir);
  ~metadata_store();

  status put_library(const std::string& hash, const std::string& bytes);
  // not_found if no library has that hash.
  result<std::string> library(const std::string& hash) const;
  status put_job(uint64_t id, const std::string& record);
  // Every job record, by id; io_error if a key under "job/" is not one
  // job_record_key() makes (a damaged store).
  result<std::map<uint64_t, std::string>> jobs() const;

 private:
  metadata_store() = default;
  status put(const std::string& key, const std::string& value);
  result<std::string> get(const std::string& key) const;

  std::unique_ptr<leveldb::DB> db_;         // null: in memory
  std::map<std::string, std::string> mem_;  // used when db_ is null
};

}  // namespace nagare
