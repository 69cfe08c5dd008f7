// Loading the snapshots a restoring task needs (restore_assembly says which:
// the restored checkpoint's, then the links of their incremental chains).
// Each comes from the node's local copy when that is intact, otherwise from
// the checkpoint store, chunk by chunk, at most max_fetches snapshots at a
// time (each reply's bytes stay in memory until decoded, so a task restoring
// from many earlier tasks, a rescale, takes them two at a time). A fetched
// snapshot of several chunks goes to a scratch store in the task's state
// directory (when it has one; deleted with the loader) and is read back a
// frame at a time; without one it is assembled in memory.
//
// Holds no CAF: every call returns the fetches the caller has to send to the
// checkpoint store (`load` requests); their replies come back through
// chunk_arrived() or fetch_failed(). Once every load has ended, outcome()
// is set once. Not thread-safe: owned by one task actor (shared with its
// pending requests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint_store.hpp"
#include "nagare/status.hpp"
#include "restore_assembly.hpp"

namespace nagare {
namespace detail {
class kv_store;
}

class restore_loader {
 public:
  static constexpr size_t max_fetches = 2;

  // One chunk to ask the checkpoint store for.
  struct fetch {
    uint64_t checkpoint = 0;
    uint32_t task = 0;
    uint32_t chunk = 0;
  };

  // `local`: the node's store of local copies (may be null); `job`: the job
  // that wrote the checkpoint; `state_directory`: the task's (empty: none);
  // `task_name` for errors.
  restore_loader(restore_assembly assembly, std::shared_ptr<checkpoint_store> local, uint64_t job,
                 std::string state_directory, std::string task_name);
  ~restore_loader();
  restore_loader(const restore_loader&) = delete;
  restore_loader& operator=(const restore_loader&) = delete;

  // Loads what the node has, returns the first fetches. Called once.
  std::vector<fetch> start();
  // The store's reply to `f`: an error (ok: none), the snapshot's chunk
  // count and chunk f.chunk's bytes (taken over).
  std::vector<fetch> chunk_arrived(const fetch& f, const status& error, uint32_t chunks,
                                   std::string& bytes);
  // No reply to `f`: `why` is the loading error (not damage: a later attempt
  // tries the same snapshot again).
  std::vector<fetch> fetch_failed(const fetch& f, const status& why);

  // Set (once) when every load has ended: ok when the assembly is whole and
  // may be applied, else the error that ends the restore. Taken by the caller.
  std::optional<status> take_outcome() { return std::exchange(outcome_, std::nullopt); }
  restore_assembly& assembly() { return assembly_; }
  // Fetches under way.
  size_t fetching() const { return in_flight_.size(); }

 private:
  // A snapshot being fetched: its chunks so far, unless they go to the scratch store.
  struct in_flight {
    uint64_t checkpoint = 0;
    uint32_t task = 0;
    std::shared_ptr<std::string> buffer;
  };
  // Asks the assembly what to load next, loads local copies, queues the rest,
  // appends fetches to `out` while fewer than max_fetches are under way.
  void load(std::vector<fetch>& out);
  // A snapshot asked for has been loaded (or failed: `st`).
  void loaded(const status& st, std::vector<fetch>& out);
  // The fetch of (checkpoint, task) has ended.
  void finished(uint64_t checkpoint, uint32_t task);
  in_flight* find(uint64_t checkpoint, uint32_t task);

  restore_assembly assembly_;
  std::shared_ptr<checkpoint_store> local_;
  uint64_t job_;
  std::string state_directory_;
  std::string task_name_;
  size_t loading_ = 0;                                // asked for and not yet arrived
  std::deque<restore_assembly::snapshot_ref> queue_;  // to fetch from the store
  std::vector<in_flight> in_flight_;                  // fetches under way
  status error_;                                      // the first failure
  bool answered_ = false;
  std::optional<status> outcome_;
  std::shared_ptr<detail::kv_store> scratch_;  // fetched chunks (null: none yet, or in memory)
};

}  // namespace nagare
