// The coordinator's durable metadata: job libraries by content hash
// (library_hash.hpp), and one record per job. Kept in LevelDB under
// DATA_DIR/metadata (checksums verified on every read), or in memory when
// there is no data directory (embedded mode). Not thread-safe: owned by the
// coordinator actor (and, before it starts, by the coordinator command).
//
// Damage: open() and verify() report it as errc::corruption; salvage_from()
// copies what can still be read of a damaged directory into a fresh store
// (coordinator_books.hpp and metadata_recovery.hpp decide what follows).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "library_hash.hpp"
#include "nagare/status.hpp"

namespace leveldb {
class DB;
}

namespace nagare {

// The key of job `id`'s record: "job/" and the id in 20 decimal digits (so
// that keys sort by id).
std::string job_record_key(uint64_t id);
// The id in a key job_record_key() made; io_error naming the key for any
// other.
result<uint64_t> job_id_of_key(std::string_view key);

class metadata_store {
 public:
  // dir empty: in memory. Otherwise creates DIR/metadata if needed.
  // corruption when LevelDB finds its files damaged (the message names them).
  static result<std::unique_ptr<metadata_store>> open(const std::string& dir);
  // The LevelDB directory of a data directory: DIR/metadata.
  static std::string directory(const std::string& dir) { return dir + "/metadata"; }
  ~metadata_store();

  // Reads every entry with LevelDB's checksums verified, and checks every
  // library's bytes against the hash it is stored under (either form,
  // library_hash.hpp). corruption saying what is damaged; ok in memory.
  status verify() const;
  // A library stored under a hash of builds before issue 13: checks its bytes
  // against that hash, stores them under library_hash() too and returns the
  // new hash. not_found if absent; corruption if the bytes do not match.
  result<std::string> upgrade_legacy_library(const std::string& legacy_hash);

  // What salvage_from() kept.
  struct salvage {
    std::map<uint64_t, std::string> jobs;  // job records' bytes by id, undecoded
    std::vector<std::string> libraries;    // hashes of the libraries copied
    std::vector<std::string> lost;         // entries read but not kept, one line each
  };
  // Copies what can still be read of the metadata LevelDB in damaged_dir
  // into this store: every library whose bytes match its hash. Job records
  // are returned, not written (decoding them is the caller's). Works on a
  // copy (damaged_dir + ".repair", removed again) that LevelDB's RepairDB
  // rebuilds first, dropping blocks whose checksums fail; damaged_dir is not
  // changed. Entries in damaged blocks are gone without a trace.
  result<salvage> salvage_from(const std::string& damaged_dir);

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
  std::string dir_;                         // the LevelDB's directory
  std::map<std::string, std::string> mem_;  // used when db_ is null
};

}  // namespace nagare
