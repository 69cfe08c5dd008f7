// Fault injection on a checkpoint store's directory (runtime/src/checkpoint_store.hpp),
// for tests that stop a coordinator, damage its newest checkpoint and start
// it again. Both open the LevelDB in store_dir directly: no process may have
// it open (LevelDB's lock makes them fail the test otherwise).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nagare::testing {

// Flips bytes inside the stored snapshot of that task, so its checksum no
// longer matches. A missing store or snapshot fails the calling test.
void corrupt_stored_snapshot(const std::string& store_dir, uint64_t job, uint64_t checkpoint,
                             uint32_t task);

// The ids of the job's complete checkpoints (readable records, savepoints
// included), ascending. An unreadable store fails the calling test.
std::vector<uint64_t> complete_checkpoints(const std::string& store_dir, uint64_t job);

// Per task of that complete checkpoint's record: the earlier checkpoints its
// snapshot needs (incremental chains), ascending. An unreadable store or
// record fails the calling test.
std::map<uint32_t, std::vector<uint64_t>> checkpoint_needs(const std::string& store_dir,
                                                           uint64_t job, uint64_t checkpoint);

}  // namespace nagare::testing
