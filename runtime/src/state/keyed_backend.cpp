// make_keyed_backend (which backend a keyed operator gets) and
// restore_key_group_chains (how a keyed operator reads the key groups it owns
// from earlier snapshot chains): the untyped parts of keyed state, compiled
// once into libnagare.
#include "nagare/detail/keyed_backend.hpp"

#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "nagare/detail/operator.hpp"
#include "nagare/detail/snapshot.hpp"
#include "state/kv_store.hpp"
#include "state/leveldb_backend.hpp"

namespace nagare::detail {

struct seen_keys::set {
  std::unordered_set<std::string_view> keys;
};
seen_keys::seen_keys() = default;
seen_keys::~seen_keys() = default;
bool seen_keys::insert(std::string_view key) {
  if (!set_) set_ = make_owned<set>();  // most restores never ask
  return set_->keys.insert(key).second;
}

result<owned<keyed_backend>> make_keyed_backend(const state_backend_options& opts,
                                                key_group_range range, uint32_t max_parallelism) {
  if (opts.factory) return opts.factory->make(range, max_parallelism);
  if (opts.backend == state_backend::memory) return make_memory_backend();
  if (opts.directory.empty())
    return status(errc::invalid_argument, "the leveldb state backend needs a state directory");
  auto store = kv_store::create(opts.directory);
  if (!store.ok()) return store.error();
  return make_leveldb_backend(std::move(store.value()), opts.cache_keys);
}

status restore_key_group_chains(key_group_restorer& into, key_group_range range,
                                const std::vector<operator_snapshot>& previous,
                                uint32_t max_parallelism, uint64_t own) {
  std::vector<size_t> chain_of(range.size(), 0);  // 1 + the chain that wrote a key group; 0: none
  size_t chain = 0;
  uint64_t last = 0;  // checkpoint of the chain's latest snapshot
  struct chain_facts {
    bool used = false;  // holds key groups of this subtask
    uint64_t last = 0, delta_bytes = 0;
    uint32_t deltas = 0;
  };
  std::vector<chain_facts> facts;
  for (const auto& snap : previous) {
    if (snap.extends == 0) {
      ++chain;
      facts.emplace_back();
    } else if (chain == 0 || snap.extends != last) {
      return status(errc::io_error, "snapshot of checkpoint " + std::to_string(snap.checkpoint) +
                                        " extends checkpoint " + std::to_string(snap.extends) +
                                        ", which does not come before it");
    }
    last = snap.checkpoint;
    auto& f = facts.back();
    f.last = snap.checkpoint;
    if (snap.extends != 0) ++f.deltas;
    // Key groups kept in the store come a frame at a time (detail/snapshot.hpp).
    auto st = snap.for_each_key_group([&](uint32_t kg, const std::string& bytes) {
      if (snap.extends != 0) f.delta_bytes += bytes.size();
      if (kg >= max_parallelism)
        return status(errc::invalid_argument, "snapshot holds key group " + std::to_string(kg) +
                                                  ", above the max parallelism " +
                                                  std::to_string(max_parallelism));
      if (!range.contains(kg)) return status{};
      auto& owner = chain_of[kg - range.first];
      if (owner != 0 && owner != chain)
        return status(errc::io_error,
                      "key group " + std::to_string(kg) + " appears in two snapshots");
      owner = chain;
      f.used = true;
      return into.read_key_group(kg, bytes);
    });
    if (!st.ok()) return st;
  }
  into.finish_restore();
  size_t used = 0;
  const chain_facts* mine = nullptr;
  for (const auto& f : facts)
    if (f.used) {
      ++used;
      mine = &f;
    }
  if (own != 0 && used == 1 && mine->last == own)
    into.restored_own(own, mine->delta_bytes, mine->deltas);
  return {};
}

}  // namespace nagare::detail
