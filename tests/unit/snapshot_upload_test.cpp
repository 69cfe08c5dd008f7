// A task's snapshot on its way to the checkpoint store, without an actor
// system: the spool that keeps it in memory or spills it to the node's local
// copy, and the chunked upload (actors/task/snapshot_spool.hpp,
// chunked_upload.hpp).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "checkpoint_store.hpp"
#include "task/chunked_upload.hpp"
#include "task/snapshot_spool.hpp"

namespace nagare {
namespace {

std::shared_ptr<checkpoint_store> memory_store() {
  auto opened = checkpoint_store::open("");
  EXPECT_TRUE(opened.ok());
  return std::shared_ptr<checkpoint_store>(std::move(opened.value()));
}

// Every piece of an upload, as "chunk/chunks:bytes".
std::vector<std::string> pieces(chunked_upload& up) {
  std::vector<std::string> out;
  while (!up.done()) {
    auto p = up.next();
    if (!p.ok()) {
      out.push_back("error");
      break;
    }
    out.push_back(std::to_string(p->chunk) + "/" + std::to_string(p->chunks) + ":" + p->bytes);
  }
  return out;
}

// Guards the chunking of a snapshot in memory: pieces of chunk_bytes in order,
// the last one shorter, and done() only after the last.
TEST(ChunkedUpload, FromMemoryInChunks) {
  chunked_upload up(1, 7, 2, std::make_shared<std::string>("abcdefghij"), nullptr, 4);
  EXPECT_FALSE(up.done());
  EXPECT_EQ(pieces(up), (std::vector<std::string>{"0/3:abcd", "1/3:efgh", "2/3:ij"}));
}

// Guards small and empty snapshots: they are one chunk (an empty one too).
TEST(ChunkedUpload, SmallAndEmptyAreOneChunk) {
  chunked_upload small(1, 7, 2, std::make_shared<std::string>("abc"), nullptr, 4);
  EXPECT_EQ(pieces(small), (std::vector<std::string>{"0/1:abc"}));
  chunked_upload empty(1, 7, 2, std::make_shared<std::string>(), nullptr, 4);
  EXPECT_EQ(pieces(empty), (std::vector<std::string>{"0/1:"}));
}

// Guards the upload of a spilled snapshot: read back from the local copy a
// chunk at a time, in the chunks it was stored in; a missing copy is an error.
TEST(ChunkedUpload, FromTheLocalCopy) {
  auto store = memory_store();
  ASSERT_TRUE(store->put_snapshot(1, 7, 2, "abcdefghij", false, {}, 4).ok());
  chunked_upload up(1, 7, 2, nullptr, store, 4);
  EXPECT_EQ(pieces(up), (std::vector<std::string>{"0/3:abcd", "1/3:efgh", "2/3:ij"}));
  chunked_upload missing(1, 8, 2, nullptr, store, 4);
  EXPECT_EQ(pieces(missing), (std::vector<std::string>{"error"}));
}

// Guards a snapshot that fits in a chunk: it stays in memory for the upload,
// and the local copy is made as well.
TEST(SnapshotSpool, SmallStaysInMemoryWithALocalCopy) {
  auto store = memory_store();
  snapshot_spool spool(store.get(), 1, 7, 2, 8);
  ASSERT_TRUE(spool.append("abc").ok());
  ASSERT_TRUE(spool.append("def").ok());
  ASSERT_TRUE(spool.finish({5}).ok());
  EXPECT_FALSE(spool.spilled());
  EXPECT_TRUE(spool.copy_error().ok());
  auto bytes = spool.take_bytes();
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, "abcdef");
  auto copy = store->snapshot(1, 7, 2);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy.value(), "abcdef");
  EXPECT_EQ(store->snapshot_needs(1, 7, 2).value(), (std::vector<uint64_t>{5}));
}

// Guards large state: once a snapshot outgrows a chunk it goes to the local
// copy, which is complete after finish(), and nothing is left in memory.
TEST(SnapshotSpool, LargeSpillsToTheLocalCopy) {
  auto store = memory_store();
  snapshot_spool spool(store.get(), 1, 7, 2, 8);
  ASSERT_TRUE(spool.append("abcde").ok());
  EXPECT_FALSE(spool.spilled());
  ASSERT_TRUE(spool.append("fghij").ok());
  EXPECT_TRUE(spool.spilled());
  EXPECT_FALSE(store->snapshot(1, 7, 2).ok());  // not stored before finish()
  ASSERT_TRUE(spool.finish({}).ok());
  EXPECT_FALSE(spool.take_bytes());
  auto copy = store->snapshot(1, 7, 2);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy.value(), "abcdefghij");
}

// Guards a node without local copies: everything stays in memory.
TEST(SnapshotSpool, WithoutALocalStoreNeverSpills) {
  snapshot_spool spool(nullptr, 1, 7, 2, 4);
  ASSERT_TRUE(spool.append("abcde").ok());
  ASSERT_TRUE(spool.append("fghij").ok());
  ASSERT_TRUE(spool.finish({}).ok());
  EXPECT_FALSE(spool.spilled());
  EXPECT_EQ(*spool.take_bytes(), "abcdefghij");
}

}  // namespace
}  // namespace nagare
