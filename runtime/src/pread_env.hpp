// LevelDB's default environment, except that table files are read with
// pread rather than mmap. LevelDB maps up to a thousand table files; their
// pages then count as the resident memory of the process (hundreds of
// megabytes for a large state or many snapshots), although they are the
// kernel's page cache. Read with pread they are just that, and what the
// process keeps of them is its block cache. Used by every LevelDB of a node:
// the state stores (kv_store) and the checkpoint store.
#pragma once

#include <leveldb/env.h>

namespace nagare {

// Shared, never destroyed (LevelDB's threads may use it at exit).
leveldb::Env* pread_env();

}  // namespace nagare
