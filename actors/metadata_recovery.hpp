// Starting a coordinator over its data directory, and recovering from damaged
// metadata (`nagare coordinator --recover-metadata`, docs/operations.md,
// "Damaged files").
//
// Without recovery, damaged metadata refuses the start (coordinator_books.hpp).
// With it, a damaged DATA/metadata is moved aside to
// DATA/metadata.damaged-<UTC time> (kept as it was, for a closer look or a
// backup's comparison) and a fresh one is filled with what can still be read:
// libraries whose bytes match their hash and job records that decode. Then,
// damaged or not, every job that the checkpoint store holds complete
// checkpoints or savepoints of but that has no record gets one: FAILED, named
// "(record lost)", its reason listing its savepoints, so it is listed and its
// savepoints stay usable with `submit --from-savepoint`. What was lost is
// reported one line each. Job ids stay unique either way
// (coordinator_books::next_job_id).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "coordinator_books.hpp"

namespace nagare {

struct opened_metadata {
  std::shared_ptr<metadata_store> store;
  coordinator_books books;
  std::vector<std::string> report;  // what recovery did and lost, one line each
};

// Opens DATA/metadata and reads the books (read_books). Damage is an
// errc::corruption saying how to recover, unless `recover`: then the damaged
// store is salvaged (salvage_metadata) and jobs are rebuilt from the checkpoint
// store (rebuild_lost_jobs). Any other failure (another coordinator holds the
// store, a disk error) is returned as it is, recovery or not.
result<opened_metadata> open_metadata(const std::string& data_dir,
                                      const checkpoint_store& checkpoints, const job_id_mark& mark,
                                      bool recover);

// Moves DATA/metadata aside and fills a fresh one with what can still be read
// of it. Returns one line per thing kept or lost. No store may be open on it.
result<std::vector<std::string>> salvage_metadata(const std::string& data_dir);

// Adds a record for every job with complete checkpoints or savepoints in the
// checkpoint store but none in the books (and writes it to the store), and
// names the job ids below books.next_job_id that have no record. One line each.
result<std::vector<std::string>> rebuild_lost_jobs(metadata_store& store, coordinator_books& books,
                                                   const checkpoint_store& checkpoints);

}  // namespace nagare
