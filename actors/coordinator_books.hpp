// What a coordinator starts from, read from its data directory before its
// actor starts: every job record, checked, and the first job id it may hand
// out. Damaged metadata stops the start here, with one line that says what is
// damaged and how to recover (metadata_recovery.hpp does the recovering).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "checkpoint_store.hpp"
#include "job_id_mark.hpp"
#include "job_record.hpp"
#include "metadata_store.hpp"

namespace nagare {

struct coordinator_books {
  std::map<uint64_t, job_record> records;  // by id; changed ones are persisted by the coordinator
  // One above the highest id among the records, the jobs of the checkpoint
  // store and the job id mark: ids never repeat, even after records are lost.
  uint64_t next_job_id = 1;
  std::vector<std::string> notes;  // what was changed or noticed on the way, for the log
};

// Verifies the whole metadata store (metadata_store::verify) and decodes every
// job record. Upgrades libraries stored under a hash of a build before issue 13
// (library_hash.hpp) and points the records at the new hash; a running job
// whose library is not stored becomes FAILED (it could not resume). A
// damaged job id mark is noted and ignored (the next submission rewrites it).
// corruption: the metadata is damaged (the message is damaged_metadata()'s);
// io_error: the checkpoint store cannot be read.
result<coordinator_books> read_books(metadata_store& store, const checkpoint_store& checkpoints,
                                     const job_id_mark& mark, const std::string& data_dir);

// The line a coordinator refuses to start with: the metadata in DATA/metadata
// is damaged (`what`), and how to recover.
std::string damaged_metadata(const std::string& data_dir, const std::string& what);

}  // namespace nagare
