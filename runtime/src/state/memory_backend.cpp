// The memory state backend: the typed cache (keyed_state's keyed_map) holds
// every key, so the backend only says so; snapshots are complete and come
// from the cache. Per-key hooks are never called (bounded() is false).
#include <memory>

#include "nagare/detail/keyed_backend.hpp"
#include "nagare/detail/operator_failure.hpp"
#include "nagare/detail/snapshot.hpp"
#include "state/memory_timer_index.hpp"

namespace nagare::detail {

namespace {

class memory_backend final : public keyed_backend {
 public:
  bool bounded() const override { return false; }
  uint32_t capacity() const override { return UINT32_MAX; }
  owned<timer_index> make_timer_index() override { return make_owned<memory_timer_index>(); }
  uint64_t keys(const row_cache& cache) const override { return cache.cached(); }
  // The heap holds typed values, not bytes: the state's size is what its
  // last snapshot encoded (0 before the first).
  uint64_t state_bytes() const override { return snapshot_bytes_; }

  void touch(uint32_t) override {}
  bool load(uint32_t, std::string_view, std::string&) override { return false; }
  void cached(uint32_t, size_t, const std::string*) override {}
  void released(uint32_t, std::string_view, uint32_t) override {}
  void make_room(row_cache&) override {}
  void for_each_stored(row_cache&, stored_key_visitor&) override {
    throw operator_failure(
        status(errc::internal, "the memory state backend keeps no keys off the heap"));
  }

  void prepare_checkpoint(uint64_t) override {}
  void checkpoint_complete(uint64_t) override {}
  void write_snapshot(row_cache& cache, operator_snapshot& out) override {
    key_group_map_writer into(out.key_groups);
    cache.write_cached_key_groups(into);
    snapshot_bytes_ = 0;
    for (const auto& [kg, bytes] : out.key_groups) snapshot_bytes_ += bytes.size();
  }
  void write_key_groups(row_cache& cache, key_group_writer& out) override {
    cache.write_cached_key_groups(out);
  }

  void restore_row(uint32_t, std::string_view, const std::string*) override {
    throw operator_failure(
        status(errc::internal, "the memory state backend restores into the heap"));
  }
  void finish_restore() override {}
  void restored_own(uint64_t, uint64_t, uint32_t) override {}

 private:
  uint64_t snapshot_bytes_ = 0;
};

}  // namespace

owned<keyed_backend> make_memory_backend() { return make_owned<memory_backend>(); }

}  // namespace nagare::detail
