// What a restoring task loads, from where and how many at a time, without an
// actor system (actors/task/restore_loader.hpp). The checkpoint store's
// replies are played by the test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "restore_assembly.hpp"
#include "task/restore_loader.hpp"

namespace nagare {
namespace {

using fetch = restore_loader::fetch;

// A loader for checkpoint 5 of `tasks` earlier tasks that each ran operator "op".
restore_loader loader_of(uint32_t tasks) {
  std::vector<stored_task> earlier;
  for (uint32_t t = 0; t < tasks; ++t) earlier.push_back(stored_task{t, {"op"}, false, {}});
  return restore_loader(restore_assembly(tasks > 0 ? 5 : 0, earlier, {"op"}, 0, 128), nullptr, 1,
                        "", "map (1/1)");
}

std::string str(const std::vector<fetch>& fs) {
  std::string out;
  for (const auto& f : fs)
    out += std::to_string(f.checkpoint) + "/" + std::to_string(f.task) + "/" +
           std::to_string(f.chunk) + " ";
  return out;
}

// Guards a fresh start: nothing to load, the restore is ready at once.
TEST(RestoreLoader, NothingToLoad) {
  auto r = loader_of(0);
  EXPECT_TRUE(r.start().empty());
  auto outcome = r.take_outcome();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(outcome->ok());
  EXPECT_FALSE(r.take_outcome().has_value());  // given once
}

// Guards memory in a rescale: at most two snapshots are fetched at a time;
// after a failure the queued one is never fetched, and the restore answers
// with the first error once the fetches under way have ended.
TEST(RestoreLoader, TwoFetchesAtATimeAndFirstErrorWins) {
  auto r = loader_of(3);
  EXPECT_EQ(str(r.start()), "5/0/0 5/1/0 ");
  EXPECT_EQ(r.fetching(), 2u);
  EXPECT_TRUE(r.fetch_failed(fetch{5, 0, 0}, status::io_error("store unreachable")).empty());
  EXPECT_FALSE(r.take_outcome().has_value());  // task 1's fetch is still under way
  std::string bytes;
  EXPECT_TRUE(r.chunk_arrived(fetch{5, 1, 0}, status::not_found("gone"), 0, bytes).empty());
  auto outcome = r.take_outcome();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->message(), "store unreachable");
  EXPECT_EQ(r.fetching(), 0u);
}

// Guards the slot of a finished fetch: the next queued snapshot starts, and a
// snapshot of several chunks is fetched chunk after chunk.
TEST(RestoreLoader, NextSnapshotAndNextChunk) {
  auto r = loader_of(3);
  EXPECT_EQ(str(r.start()), "5/0/0 5/1/0 ");
  std::string bytes = "part";
  EXPECT_EQ(str(r.chunk_arrived(fetch{5, 0, 0}, status{}, 2, bytes)), "5/0/1 ");
  EXPECT_TRUE(bytes.empty());  // taken over
  EXPECT_EQ(r.fetching(), 2u);
  // The store names the damage: the error says which snapshot.
  EXPECT_TRUE(
      r.chunk_arrived(fetch{5, 1, 0}, status::io_error("checksum mismatch"), 0, bytes).empty());
  bytes = "more";
  EXPECT_TRUE(r.chunk_arrived(fetch{5, 0, 1}, status{}, 2, bytes).empty());  // not a snapshot
  auto outcome = r.take_outcome();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->message().rfind("checkpoint 5, task 1: ", 0), 0u) << outcome->message();
  EXPECT_EQ(outcome->code(), errc::corruption);
  ASSERT_TRUE(r.assembly().damaged().has_value());
  EXPECT_EQ(r.assembly().damaged()->checkpoint, 5u);
  EXPECT_EQ(r.assembly().damaged()->task, 1u);
}

}  // namespace
}  // namespace nagare
