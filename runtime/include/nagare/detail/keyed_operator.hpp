// The base of keyed operators: a keyed state backend over the key groups of
// the subtask, and operator state.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/detail/function_metrics.hpp"
#include "nagare/detail/keyed_batch.hpp"
#include "nagare/detail/keyed_state.hpp"
#include "nagare/detail/one_input_operator.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/detail/operator_state.hpp"
#include "nagare/state.hpp"

namespace nagare::detail {

template <class KeyFn, class T>
using key_of_t = std::decay_t<std::invoke_result_t<KeyFn&, const T&>>;

// A keyed operator: makes each record's key current in its keyed state
// backend (detail/keyed_state.hpp), which holds every state the operator
// declared, per key group over the key groups this subtask owns. Its snapshot
// is that state, one string per key group, plus its operator state entries;
// keys and state values therefore need a codec.
// Inline: the type of a value state the backend stores in the key's map
// entry (the operator's hot state), or void.
template <class T, class Out, class KeyFn, class Inline = void>
class keyed_operator : public one_input_operator<T, Out> {
 public:
  using K = key_of_t<KeyFn, T>;

  status open(const subtask_info& info) override {
    info_ = info;
    metrics_of(info_);
    auto opened = keyed_.open(key_groups_of(info.subtask, info.max_parallelism, info.parallelism),
                              info.max_parallelism, info.state);
    if (!opened.ok()) return opened;
    ops_.reset();
    state_context ctx(&keyed_, &ops_, info_);
    try {
      return declare(ctx);
    } catch (...) {
      return caught_exception(errc::user_error, info.task_name + ": open");
    }
  }

  uint64_t state_entries() const override { return keyed_.size(); }
  uint64_t state_bytes() const override { return keyed_.state_bytes(); }

  // Keyed state: complete, or (leveldb backend) a delta over an earlier
  // checkpoint; operator state: always complete.
  void snapshot(operator_snapshot& out) const override {
    keyed_.write_snapshot(out);
    ops_.write(entries_of(out));
  }
  status prepare_checkpoint(uint64_t id) override {
    keyed_.prepare_checkpoint(id);
    return {};
  }
  status checkpoint_complete(uint64_t id) override {
    keyed_.checkpoint_complete(id);
    return {};
  }

  // Reads the key groups this subtask owns now from every earlier subtask's
  // snapshot chain, and its share of their operator state (from the last
  // snapshot of each chain).
  status restore(const std::vector<operator_snapshot>& previous,
                 const subtask_info& info) override {
    auto st = restore_key_groups(keyed_, previous, info.max_parallelism,
                                 info.restored_own ? info.restored_checkpoint : 0);
    if (!st.ok()) return st;
    return ops_.restore_chain_ends(previous, info.subtask, info.parallelism);
  }

 protected:
  explicit keyed_operator(KeyFn key) : key_(std::move(key)) {}
  // Declares the operator's states (called by open()).
  virtual status declare(state_context& ctx) = 0;
  // Makes r's key current; `key` receives it and must outlive its use as the
  // current key. `create`: also create the key's row (one probe).
  void select(const T& r, K& key, bool create) {
    key = key_(r);
    select_key(key, key_hash<K>{}(key), create);
  }
  // Makes `key` (whose key_hash is `hash`) current. (Not an overload of
  // select: with T == K and an integral K the two would be ambiguous.)
  void select_key(const K& key, uint64_t hash, bool create) {
    current_key_ = &key;
    current_hash_ = hash;
    if (create)
      keyed_.set_current_key_and_create(hash, key);
    else
      keyed_.set_current_key(hash, key);
  }
  // Calls apply(record, key, hash) for each of records[0, n) in order, with
  // the record's key and its key_hash: the batch form of select(), for
  // push_batch (apply calls select_key(key, hash, ...) before it touches
  // state). The keys' slots are prefetched records ahead
  // (detail/keyed_batch.hpp).
  template <class Apply>
  void for_each_keyed(T* records, size_t n, Apply&& apply) {
    batch_.run(records, n, key_, keyed_, apply);
  }
  keyed_state<K, Inline> keyed_;
  // The current key and its key_hash (valid while the key is current).
  const K* current_key_ = nullptr;
  uint64_t current_hash_ = 0;
  operator_state ops_;
  subtask_info info_;

 private:
  KeyFn key_;
  keyed_batch<K> batch_;
};

}  // namespace nagare::detail
