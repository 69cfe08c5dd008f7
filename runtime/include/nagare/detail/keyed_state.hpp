// The keyed state backend of one operator instance: every keyed state the
// operator declared (nagare/state.hpp), for every key of the key groups its
// subtask owns.
//
// Layout: a keyed_map from key to a row number (one probe per record, with the
// key's hash computed once by the caller), and one column per declared state
// holding a cell per row. A key has a row while at least one of its states is
// non-empty; rows of released keys are reused. The runtime selects the current
// key before it calls user code (set_current_key); state handles then read and
// write the current key's cells.
//
// Two modes (subtask_info::state, chosen at open):
//  - memory: every key lives in the keyed_map; snapshots are complete.
//  - leveldb: keys live in a kv_store (detail/kv_store.hpp, LevelDB) and the
//    keyed_map is a bounded write-back cache of at most about cache_keys keys
//    (each with a row). A key that is not cached is read from the store when
//    selected; when the cache is full, a CLOCK sweep writes the changed rows
//    of unreferenced keys back and evicts them. Selecting a key may therefore
//    move other keys' cells: pointers from state handles stay valid only
//    while their key is current (and, as always, until the next write).
//    Snapshots are incremental (detail/delta_chain.hpp): every row written
//    also writes a change record tagged with the epoch, and a delta is the
//    change records since the checkpoint it extends. Timers go to the store
//    too (make_timer_index, detail/kv_timer_index.hpp).
//
// Store keys (leveldb), K encoded with codec<K>, key groups as 2 bytes
// big-endian so that a key group's keys are adjacent:
//   'k' key group, key  -> the key's row: per state (in header order) a byte
//                          1 and the cell, or a byte 0 (the entry format below
//                          without the key)
//   'm' key group, key  -> the last change of the key: 8 bytes big-endian
//                          epoch, then 1 and the row, or 0 (deleted)
//   't' ...             -> timers (kv_timer_index)
//
// Snapshot format of one key group (write_key_groups / read_key_group), every
// declared state of the operator in one string:
//   byte    format version: keyed_state_format (complete) or
//           keyed_state_delta_format (changes of a delta snapshot)
//   varint  number of states S, then S times: codec<std::string> name, byte kind
//   varint  number of keys N, then N times: codec<K> key, then per state (in
//           header order) a byte 1 followed by the state's cell, or a byte 0
//           (the key has no value in that state). In a delta, a key with no
//           state at all was deleted; any other key replaces the key's whole
//           state.
// Cells: a value state codec<V>; a list state codec<std::vector<V>> (never
// empty); a map state a varint count then codec<MK>, codec<MV> per entry (never
// empty, keys increasing). A restore matches states by name: a state in the
// snapshot that the operator does not declare, or declares with another kind,
// is an error; a declared state missing from the snapshot starts empty.
//
// Not thread-safe: owned by one operator instance in one task. Store errors
// throw operator_failure (the task fails).
#pragma once

#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/delta_chain.hpp"
#include "nagare/detail/keyed_map.hpp"
#include "nagare/detail/kv_store.hpp"
#include "nagare/detail/kv_timer_index.hpp"
#include "nagare/detail/one_input_operator.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/detail/snapshot.hpp"
#include "nagare/detail/timer_index.hpp"
#include "nagare/hash.hpp"
#include "nagare/status.hpp"

namespace nagare::detail {

inline constexpr uint32_t no_row = std::numeric_limits<uint32_t>::max();
inline constexpr uint8_t keyed_state_format = 1;
inline constexpr uint8_t keyed_state_delta_format = 2;

enum class state_kind : uint8_t { value = 1, list = 2, map = 3 };

inline const char* to_string(state_kind k) {
  switch (k) {
    case state_kind::value:
      return "value";
    case state_kind::list:
      return "list";
    case state_kind::map:
      return "map";
  }
  return "unknown";
}

// One declared keyed state: a cell per row. An empty cell means the key has
// no value in this state.
class state_column {
 public:
  explicit state_column(std::string name) : name_(std::move(name)) {}
  virtual ~state_column() = default;
  state_column(const state_column&) = delete;
  state_column& operator=(const state_column&) = delete;

  const std::string& name() const { return name_; }
  virtual state_kind kind() const = 0;
  virtual void resize(size_t rows) = 0;
  virtual bool empty(uint32_t row) const = 0;
  virtual void clear(uint32_t row) = 0;
  // Appends the cell of `row`. REQUIRES: !empty(row).
  virtual void encode(uint32_t row, std::string& out) const = 0;
  // Reads a cell into the empty `row`; false: malformed (or an empty cell).
  virtual bool decode(byte_reader& in, uint32_t row) = 0;

 private:
  std::string name_;
};

// A value state's cell: its value, if present.
template <class V>
struct state_cell {
  V value{};
  bool present = false;
};
template <>
struct state_cell<void> {
  bool present = false;
};

template <class V>
class value_column final : public state_column {
 public:
  using cell = state_cell<V>;
  using state_column::state_column;
  state_kind kind() const override { return state_kind::value; }
  void resize(size_t rows) override { cells.resize(rows); }
  bool empty(uint32_t row) const override { return !cells[row].present; }
  void clear(uint32_t row) override { cells[row] = cell{}; }
  void encode(uint32_t row, std::string& out) const override {
    codec<V>::encode(cells[row].value, out);
  }
  bool decode(byte_reader& in, uint32_t row) override {
    return cells[row].present = codec<V>::decode(in, cells[row].value);
  }
  std::vector<cell> cells;
};

template <class V>
class list_column final : public state_column {
 public:
  using state_column::state_column;
  state_kind kind() const override { return state_kind::list; }
  void resize(size_t rows) override { lists.resize(rows); }
  bool empty(uint32_t row) const override { return lists[row].empty(); }
  void clear(uint32_t row) override { std::vector<V>().swap(lists[row]); }
  void encode(uint32_t row, std::string& out) const override {
    codec<std::vector<V>>::encode(lists[row], out);
  }
  bool decode(byte_reader& in, uint32_t row) override {
    return codec<std::vector<V>>::decode(in, lists[row]) && !lists[row].empty();
  }
  std::vector<std::vector<V>> lists;
};

template <class MK, class MV>
class map_column final : public state_column {
 public:
  using state_column::state_column;
  state_kind kind() const override { return state_kind::map; }
  void resize(size_t rows) override { maps.resize(rows); }
  bool empty(uint32_t row) const override { return maps[row].empty(); }
  void clear(uint32_t row) override { maps[row].clear(); }
  void encode(uint32_t row, std::string& out) const override {
    write_varint(out, maps[row].size());
    for (const auto& [k, v] : maps[row]) {
      codec<MK>::encode(k, out);
      codec<MV>::encode(v, out);
    }
  }
  bool decode(byte_reader& in, uint32_t row) override {
    uint64_t n = 0;
    if (!in.read_varint(n) || n == 0 || n > in.remaining()) return false;
    auto& m = maps[row];
    for (uint64_t i = 0; i < n; ++i) {
      MK k{};
      MV v{};
      if (!codec<MK>::decode(in, k) || !codec<MV>::decode(in, v)) return false;
      if (!m.empty() && !(std::prev(m.end())->first < k)) return false;  // keys increase
      m.emplace_hint(m.end(), std::move(k), std::move(v));
    }
    return true;
  }
  std::vector<std::map<MK, MV>> maps;
};

// The part of the backend that does not depend on the key type: rows, the
// declared columns and the current key's row and inline cell. State handles
// hold a pointer to it.
class keyed_rows {
 public:
  keyed_rows() = default;
  virtual ~keyed_rows() = default;
  keyed_rows(const keyed_rows&) = delete;
  keyed_rows& operator=(const keyed_rows&) = delete;

  // A new, empty index over the timers of this backend's keys
  // (detail/timer_index.hpp): a backend that keeps keyed state off the heap
  // may return one that does so too.
  virtual std::unique_ptr<timer_index> make_timer_index() {
    return std::make_unique<memory_timer_index>();
  }

  // The current key's row, or no_row when it has none.
  uint32_t current() const { return current_; }
  // The current key's row, created (all cells empty) if absent.
  // REQUIRES: a current key is set.
  uint32_t current_or_create() {
    if (current_ == no_row) current_ = ensure_row();
    return current_;
  }
  // The current key's inline cell (a state_cell<V> of the inline value
  // state), nullptr when the key holds no state.
  void* current_inline() const { return inline_; }
  void* current_inline_or_create() {
    if (!inline_) ensure_key();
    return inline_;
  }
  // After a state of the current key was emptied: drops the key when none of
  // its states holds anything anymore (deferred while visiting keys).
  virtual void release_current_if_empty() = 0;

  // Whether the value state `name` of type V (type_tag<V>()) is the one
  // stored inline in the key's map entry (declares it so if possible).
  virtual bool take_inline(const std::string& name, const void* type) = 0;

  // The column of state `name`, declared now if new. Throws
  // std::invalid_argument when the name is empty or already declared with
  // another kind or type. REQUIRES: no key holds state yet.
  template <class Column>
  Column* declare(const std::string& name) {
    if (name.empty()) throw std::invalid_argument("a state needs a name");
    if (name == inline_name_)
      throw std::invalid_argument("state '" + name + "' declared twice with different types");
    for (const auto& c : columns_) {
      if (c->name() != name) continue;
      if (auto* same = dynamic_cast<Column*>(c.get())) return same;
      throw std::invalid_argument("state '" + name + "' declared twice with different types");
    }
    auto column = std::make_unique<Column>(name);
    column->resize(rows_);
    auto* raw = column.get();
    columns_.push_back(std::move(column));
    return raw;
  }

 protected:
  uint32_t allocate_row() {
    if (!free_.empty()) {
      auto r = free_.back();
      free_.pop_back();
      return r;
    }
    if (rows_ == no_row) throw std::length_error("too many keys in one subtask");
    auto r = rows_++;
    for (auto& c : columns_) c->resize(rows_);
    return r;
  }
  void reset() {
    columns_.clear();
    free_.clear();
    inline_name_.clear();
    rows_ = 0;
    current_ = no_row;
    inline_ = nullptr;
    visiting_ = false;
  }
  bool row_holds_state(uint32_t row) const {
    if (row == no_row) return false;
    for (const auto& c : columns_)
      if (!c->empty(row)) return true;
    return false;
  }
  // Inserts the current key if absent and gives it a row; returns the row.
  virtual uint32_t ensure_row() = 0;
  // Inserts the current key if absent (sets inline_).
  virtual void ensure_key() = 0;

  std::vector<std::unique_ptr<state_column>> columns_;
  std::string inline_name_;     // the inline value state ("": none)
  std::vector<uint32_t> free_;  // rows of released keys, all cells empty
  uint32_t rows_ = 0;
  uint32_t current_ = no_row;
  void* inline_ = nullptr;
  bool visiting_ = false;
};

template <class V>
const void* type_tag() {
  static const char tag = 0;
  return &tag;
}

// The backend for keys K. Inline (optional): the type of one value state
// stored in the key's map entry itself rather than in a column, so that an
// operator with a single value state (reduce, aggregate) touches one cache
// line per record.
template <class K, class Inline = void>
class keyed_state final : public keyed_rows {
  // A key's map entry: the inline cell and the key's row (no_row until a
  // column state of the key is written; in leveldb mode every cached key has
  // a row). The row sits in the cell's tail padding.
  struct entry : state_cell<Inline> {
    uint32_t row = no_row;
  };

 public:
  // Store key tags (leveldb mode, see the top of this file).
  static constexpr char row_tag = 'k';
  static constexpr char change_tag = 'm';
  static constexpr char timer_tag = 't';

  // Forgets every state and declaration; the backend will hold the keys of
  // the key groups in `range`, on the heap (memory mode).
  void open(key_group_range range, uint32_t max_parallelism) {
    index_.open(range, max_parallelism);
    reset();
    spill_.reset();
    key_ = nullptr;
    entry_ = nullptr;
  }
  // open() in the mode `opts` says. leveldb mode creates a new store under
  // opts.directory; an error if it cannot.
  status open(key_group_range range, uint32_t max_parallelism, const state_backend_options& opts) {
    open(range, max_parallelism);
    if (opts.backend == state_backend::memory) return {};
    if (opts.directory.empty())
      return status(errc::invalid_argument, "the leveldb state backend needs a state directory");
    auto store = kv_store::create(opts.directory);
    if (!store.ok()) return store.error();
    spill_ = std::make_unique<spill>();
    spill_->store = std::move(store.value());
    spill_->capacity = std::max<uint32_t>(opts.cache_keys, 1);
    return {};
  }
  // Whether keys live in a store (leveldb mode).
  bool spills() const { return spill_ != nullptr; }

  // Makes `key` (whose key_hash is `hash`) the current key: one probe. `key`
  // must stay alive and unchanged while it is current (during the user call).
  void set_current_key(uint64_t hash, const K& key) {
    hash_ = hash;
    key_ = &key;
    if (__builtin_expect(spill_ != nullptr, 0)) return select_spilled(false);
    select(index_.find(hash, key));
  }
  // set_current_key() that also inserts the key if absent, in the same probe
  // (for operators that write state for every record).
  void set_current_key_and_create(uint64_t hash, const K& key) {
    hash_ = hash;
    key_ = &key;
    if (__builtin_expect(spill_ != nullptr, 0)) return select_spilled(true);
    select(index_.get_or_create(hash, key, entry{}).first);
  }
  // REQUIRES: a current key is set.
  const K& current_key() const { return *key_; }

  // Makes every key that holds state current in turn and calls f(key). f may
  // read and write the states of its key; keys it empties are released (in
  // memory mode only after the visit). f must not set another current key.
  template <class F>
  void for_each_key(F&& f) {
    if (spill_) return for_each_stored_key(f);
    visiting_ = true;
    index_.for_each([&](const K& k, const entry& e, uint64_t hash) {
      hash_ = hash;
      key_ = &k;
      select(const_cast<entry*>(&e));  // the map is ours; for_each just has no mutable form
      if (holds_state(e)) f(k);
    });
    visiting_ = false;
    std::vector<std::pair<K, uint64_t>> emptied;
    index_.for_each([&](const K& k, const entry& e, uint64_t hash) {
      if (!holds_state(e)) emptied.emplace_back(k, hash);
    });
    for (const auto& [k, hash] : emptied) {
      set_current_key(hash, k);
      release_current_if_empty();
    }
    key_ = nullptr;
    select(nullptr);
  }

  void release_current_if_empty() override {
    if (!entry_ || visiting_ || holds_state(*entry_)) return;
    if (spill_) {
      auto& m = spill_->meta[entry_->row];
      if (m.stored) {
        auto& s = *spill_;
        store_key(row_tag, *key_, hash_, s.key);
        s.store->stage_erase(s.key);
        stage_change(false);
        s.store->commit();
        forget_stored(m);
      }
      free_row(*entry_);
    } else if (entry_->row != no_row) {
      free_.push_back(entry_->row);
    }
    index_.erase(hash_, *key_);
    select(nullptr);
  }

  bool take_inline(const std::string& name, const void* type) override {
    if constexpr (std::is_void_v<Inline>) {
      return false;
    } else {
      if (type != type_tag<Inline>()) return false;
      if (inline_name_.empty()) {
        for (const auto& c : columns_)
          if (c->name() == name) return false;
        inline_name_ = name;
      }
      return inline_name_ == name;
    }
  }

  std::unique_ptr<timer_index> make_timer_index() override {
    if (spill_) return make_kv_timer_index(spill_->store, timer_tag);
    return keyed_rows::make_timer_index();
  }

  // Keys that hold state.
  size_t size() const {
    return spill_ ? static_cast<size_t>(spill_->stored_keys + spill_->fresh) : index_.size();
  }
  key_group_range range() const { return index_.range(); }
  // Keys on the heap (leveldb mode: in the cache).
  size_t cached() const { return index_.size(); }

  // Checkpoints (the operator's prepare_checkpoint and checkpoint_complete):
  // the snapshot that comes next is for checkpoint `id`; checkpoint `id` is
  // complete. Only leveldb mode, whose snapshots are incremental, cares.
  void prepare_checkpoint(uint64_t id) {
    if (spill_) spill_->chain.prepare(id);
  }
  void checkpoint_complete(uint64_t id) {
    if (!spill_) return;
    spill_->chain.complete(id);
    kv_store::trim_heap();  // the snapshot's buffers are freed once it is stored
  }
  // After a restore from the backend's own chain of snapshots up to
  // `checkpoint` (`length` deltas of `chain_bytes`): leveldb mode's next
  // snapshot may be a delta over it.
  void restored_own(uint64_t checkpoint, uint64_t chain_bytes, uint32_t length) {
    if (spill_) spill_->chain.restored(checkpoint, chain_bytes, length);
  }

  // The operator's snapshot of its keyed state: complete in memory mode; in
  // leveldb mode complete or a delta (sets out.extends), see delta_chain.
  // Writes key groups (add_key_group: they may stream out as they come) and
  // out.extends only.
  void write_snapshot(operator_snapshot& out) const {
    if (!spill_) return write_key_groups(out.key_groups);
    auto& s = *spill_;
    kv_store::trim_heap();  // what the previous checkpoint freed
    flush();
    auto plan = s.chain.next(s.stored_bytes);
    uint64_t bytes =
        plan.extends == 0 ? write_stored_rows(out) : write_changes(out, plan.since_epoch);
    out.extends = plan.extends;
    s.chain.taken(plan, bytes);
  }

  // Sets out[key group] to the complete encoding of that key group's state,
  // for every key group with a key that holds state. Memory mode: two passes,
  // count then encode. Leveldb mode: writes the cache back, then reads the
  // store in key order.
  void write_key_groups(std::map<uint32_t, std::string>& out) const {
    if (spill_) {
      flush();
      operator_snapshot s;
      write_stored_rows(s);
      out = std::move(s.key_groups);
      return;
    }
    const auto max = index_.max_parallelism();
    std::vector<uint64_t> counts(max);
    index_.for_each([&](const K&, const entry& e, uint64_t hash) {
      if (holds_state(e)) ++counts[key_group_of(hash, max)];
    });
    std::string header;
    write_header(keyed_state_format, header);
    std::vector<std::string*> groups(max, nullptr);
    for (uint32_t kg = 0; kg < max; ++kg) {
      if (counts[kg] == 0) continue;
      groups[kg] = &out[kg];
      *groups[kg] = header;
      write_varint(*groups[kg], counts[kg]);
    }
    index_.for_each([&](const K& k, const entry& e, uint64_t hash) {
      if (!holds_state(e)) return;
      auto& g = *groups[key_group_of(hash, max)];
      codec<K>::encode(k, g);
      encode_row(e, g);
    });
  }

  // Adds the state that write_key_groups() (or a delta) encoded for key group
  // `kg`. Complete format: adds its keys; delta format: replaces or deletes
  // its keys. Malformed bytes, an undeclared or mismatched state, a key of
  // another key group (the max parallelism changed) or, in memory mode, a key
  // already present in a complete key group are errors; the backend may then
  // hold part of the key group. Leveldb mode writes the keys to the store,
  // not the cache. REQUIRES: no key was selected since open(); call
  // finish_restore() after the last one.
  status read_key_group(uint32_t kg, const std::string& bytes) {
    auto where = [kg](const std::string& what) {
      return status(errc::io_error, "state of key group " + std::to_string(kg) + ": " + what);
    };
    if (!index_.range().contains(kg)) return where("not a key group of this subtask");
    byte_reader in(bytes.data(), bytes.size());
    uint8_t version = 0;
    if (!in.read(&version, 1)) return where("empty");
    if (version != keyed_state_format && version != keyed_state_delta_format)
      return where("unknown format version " + std::to_string(version));
    const bool delta = version == keyed_state_delta_format;
    uint64_t states = 0;
    if (!in.read_varint(states) || states > in.remaining()) return where("malformed state count");
    std::vector<state_column*> order;  // nullptr: the inline state
    bool inline_seen = false;
    for (uint64_t s = 0; s < states; ++s) {
      std::string name;
      uint8_t kind = 0;
      if (!codec<std::string>::decode(in, name) || !in.read(&kind, 1))
        return where("malformed state header");
      state_column* column = nullptr;
      state_kind declared = state_kind::value;
      if (has_inline() && name == inline_name_) {
        if (inline_seen) return where("state '" + name + "' appears twice");
        inline_seen = true;
      } else {
        for (const auto& c : columns_)
          if (c->name() == name) column = c.get();
        if (!column)
          return status(errc::invalid_argument, "snapshot holds keyed state '" + name +
                                                    "' that this operator does not declare");
        for (auto* seen : order)
          if (seen == column) return where("state '" + name + "' appears twice");
        declared = column->kind();
      }
      if (static_cast<uint8_t>(declared) != kind)
        return status(errc::invalid_argument, "keyed state '" + name + "' is a " +
                                                  to_string(declared) +
                                                  " state here but another kind in the snapshot");
      order.push_back(column);
    }
    uint64_t n = 0;
    if (!in.read_varint(n)) return where("malformed key count");
    const auto max = index_.max_parallelism();
    // Leveldb mode decodes each key into a scratch entry, then writes its row.
    entry scratch;
    if (spill_) scratch.row = allocate_spill_row();
    std::unordered_set<std::string_view> seen;  // keys' bytes in `bytes`
    status st;
    for (uint64_t i = 0; i < n && st.ok(); ++i) {
      auto bad_entry = [&](const std::string& what) {
        return where("entry " + std::to_string(i) + " of " + std::to_string(n) + ": " + what);
      };
      K key{};
      const char* key_start = bytes.data() + (bytes.size() - in.remaining());
      if (!codec<K>::decode(in, key)) {
        st = bad_entry("malformed key");
        break;
      }
      // The map catches a key twice in a complete key group of memory mode;
      // the others compare the keys' bytes.
      if ((spill_ || delta) &&
          !seen.emplace(key_start, bytes.data() + (bytes.size() - in.remaining()) - key_start)
               .second) {
        st = bad_entry("a key appears twice");
        break;
      }
      auto hash = key_hash<K>{}(key);
      if (key_group_of(hash, max) != kg) {
        st = status(errc::invalid_argument, "state of key group " + std::to_string(kg) +
                                                " holds a key of key group " +
                                                std::to_string(key_group_of(hash, max)) +
                                                " (was the max parallelism changed?)");
        break;
      }
      entry* e = &scratch;
      if (!spill_) {
        auto [found, created] = index_.get_or_create(hash, key, entry{});
        if (!created && !delta) {
          st = bad_entry("a key appears twice");
          break;
        }
        e = found;
      }
      clear_cells(*e);
      bool any = false;
      for (auto* column : order) {
        uint8_t present = 0;
        if (!in.read(&present, 1) || present > 1) {
          st = bad_entry("malformed presence flag");
          break;
        }
        if (present == 0) continue;
        if (!column) {
          if constexpr (!std::is_void_v<Inline>) {
            if (!codec<Inline>::decode(in, e->value)) {
              st = bad_entry("malformed inline state");
              break;
            }
            e->present = true;
          }
        } else {
          if (e->row == no_row) e->row = allocate_row();
          if (!column->decode(in, e->row)) {
            st = bad_entry("malformed state '" + column->name() + "'");
            break;
          }
        }
        any = true;
      }
      if (!st.ok()) break;
      if (!any && !delta) {
        st = bad_entry("a key without state");
        break;
      }
      if (spill_) {
        auto& s = *spill_;
        store_key(row_tag, key, hash, s.key);
        if (any) {
          s.value.clear();
          encode_row(*e, s.value);
          s.store->stage_put(s.key, s.value);
        } else {
          s.store->stage_erase(s.key);
        }
        if (s.store->staged_bytes() > write_batch_bytes) s.store->commit();
      } else if (!any) {  // a deletion
        if (e->row != no_row) free_.push_back(e->row);
        index_.erase(hash, key);
      }
    }
    if (spill_) {
      spill_->store->commit();
      release_row(scratch);
    }
    if (!st.ok()) return st;
    if (in.remaining() != 0) return where("trailing bytes after the entries");
    return {};
  }

  // After the last read_key_group() of a restore: leveldb mode counts the
  // keys and bytes in the store.
  void finish_restore() {
    if (!spill_) return;
    auto& s = *spill_;
    s.stored_keys = 0;
    s.stored_bytes = 0;
    auto it = s.store->iterate();
    for (it->seek(std::string(1, row_tag)); it->valid() && it->key()[0] == row_tag; it->next()) {
      ++s.stored_keys;
      s.stored_bytes += it->key().size() + it->value().size();
    }
  }

 private:
  // Leveldb mode: what the cache knows of a cached key's row, by row number.
  struct spill_meta {
    uint64_t hash = 0;        // of the row's encoding as last read from or written to the store
    uint32_t stored = 0;      // bytes of the key's record in the store; 0: not in the store
    bool touched = false;     // selected since last written back: may differ from the store
    bool referenced = false;  // selected since the CLOCK hand last passed
    bool victim = false;      // chosen for eviction in the current sweep
  };
  // Leveldb mode's state, behind a pointer: const snapshot functions write
  // the cache back through it.
  struct spill {
    std::shared_ptr<kv_store> store;
    uint32_t capacity = 1;
    std::vector<spill_meta> meta;  // per row
    uint64_t stored_keys = 0;      // keys in the store
    uint64_t stored_bytes = 0;     // their keys' and rows' bytes
    uint64_t fresh = 0;            // cached keys not in the store
    size_t hand = 0;               // CLOCK hand: a slot of the cache
    delta_chain chain;
    std::string key, value, change_key, change;  // scratch buffers
    std::vector<std::pair<K, uint64_t>> victims;
  };
  // Bytes of staged writes after which a restore or a flush commits.
  static constexpr size_t write_batch_bytes = 1 << 20;

  bool has_inline() const { return !std::is_void_v<Inline> && !inline_name_.empty(); }
  bool holds_state(const entry& e) const { return e.present || row_holds_state(e.row); }
  void select(entry* e) {
    entry_ = e;
    current_ = e ? e->row : no_row;
    inline_ = e ? static_cast<state_cell<Inline>*>(e) : nullptr;
  }
  uint32_t ensure_row() override {
    ensure_key();
    if (entry_->row == no_row) entry_->row = allocate_row();
    return entry_->row;
  }
  void ensure_key() override {
    if (entry_) return;
    if (!spill_) return select(index_.get_or_create(hash_, *key_, entry{}).first);
    auto* e = insert_spilled();  // set_current_key found it in neither cache nor store
    touch(*e);
    select(e);
  }

  // Header of a key group string: version, then the states' names and kinds.
  void write_header(uint8_t version, std::string& out) const {
    out.push_back(static_cast<char>(version));
    write_varint(out, columns_.size() + (has_inline() ? 1 : 0));
    if (has_inline()) {
      codec<std::string>::encode(inline_name_, out);
      out.push_back(static_cast<char>(state_kind::value));
    }
    for (const auto& c : columns_) {
      codec<std::string>::encode(c->name(), out);
      out.push_back(static_cast<char>(c->kind()));
    }
  }
  // Appends the per-state part of an entry: presence byte and cell per state.
  void encode_row(const entry& e, std::string& out) const {
    if constexpr (!std::is_void_v<Inline>) {
      if (has_inline()) {
        out.push_back(e.present ? 1 : 0);
        if (e.present) codec<Inline>::encode(e.value, out);
      }
    }
    for (const auto& c : columns_) {
      bool present = e.row != no_row && !c->empty(e.row);
      out.push_back(present ? 1 : 0);
      if (present) c->encode(e.row, out);
    }
  }
  // Reads what encode_row() wrote (in this backend's state order) into `e`,
  // whose cells are empty; false if malformed.
  bool decode_row(byte_reader& in, entry& e) {
    uint8_t present = 0;
    if constexpr (!std::is_void_v<Inline>) {
      if (has_inline()) {
        if (!in.read(&present, 1) || present > 1) return false;
        if (present && !codec<Inline>::decode(in, e.value)) return false;
        e.present = present == 1;
      }
    }
    for (const auto& c : columns_) {
      if (!in.read(&present, 1) || present > 1) return false;
      if (present && (e.row == no_row || !c->decode(in, e.row))) return false;
    }
    return in.remaining() == 0;
  }
  void clear_cells(entry& e) {
    static_cast<state_cell<Inline>&>(e) = state_cell<Inline>{};
    if (e.row == no_row) return;
    for (auto& c : columns_) c->clear(e.row);
  }

  // ---- leveldb mode ----

  // The store key of `key` (whose key_hash is `hash`) under `tag`.
  void store_key(char tag, const K& key, uint64_t hash, std::string& out) const {
    auto kg = key_group_of(hash, index_.max_parallelism());
    out.clear();
    out.push_back(tag);
    out.push_back(static_cast<char>(kg >> 8));
    out.push_back(static_cast<char>(kg));
    codec<K>::encode(key, out);
  }
  [[noreturn]] void malformed_store(const char* what) const {
    throw operator_failure(status(
        errc::io_error, "state store " + spill_->store->directory() + ": malformed " + what));
  }

  uint32_t allocate_spill_row() {
    auto row = allocate_row();
    if (spill_->meta.size() < rows_) spill_->meta.resize(rows_);
    spill_->meta[row] = spill_meta{};
    return row;
  }
  // Empties a cached key's row and frees it (the key leaves the cache).
  void free_row(entry& e) {
    if (spill_->meta[e.row].stored == 0) --spill_->fresh;
    release_row(e);
  }
  void release_row(entry& e) {
    clear_cells(e);
    spill_->meta[e.row] = spill_meta{};
    free_.push_back(e.row);
  }
  void touch(const entry& e) {
    auto& m = spill_->meta[e.row];
    m.touched = m.referenced = true;
  }
  // The store no longer holds the key of `m` (it may stay cached).
  void forget_stored(spill_meta& m) const {
    --spill_->stored_keys;
    spill_->stored_bytes -= m.stored;
    m.stored = 0;
    ++spill_->fresh;
  }

  // set_current_key() in leveldb mode: the cache, else the store; a key in
  // neither is created if `create`. Never inlined, so that memory mode's
  // set_current_key stays one probe inlined into the operator.
  [[gnu::noinline]] void select_spilled(bool create) {
    if (auto* e = index_.find(hash_, *key_)) {
      touch(*e);
      return select(e);
    }
    auto& s = *spill_;
    make_room();  // first: it writes back through the scratch buffers used below
    store_key(row_tag, *key_, hash_, s.key);
    entry* e = nullptr;
    if (s.store->get(s.key, s.value)) {
      e = insert_spilled(false);
      load(*e, s.key.size(), s.value);
    } else if (create) {
      e = insert_spilled(false);
    }
    if (e) touch(*e);
    select(e);
  }
  // Caches the current key (absent from the cache) with an empty row, after
  // making room (if `room`); it counts as not stored.
  entry* insert_spilled(bool room = true) {
    if (room) make_room();
    auto* e = index_.get_or_create(hash_, *key_, entry{}).first;
    e->row = allocate_spill_row();
    ++spill_->fresh;
    return e;
  }
  // Fills the cached key `e` from its stored row.
  void load(entry& e, size_t key_bytes, std::string_view row) {
    byte_reader in(row.data(), row.size());
    if (!decode_row(in, e)) malformed_store("row");
    auto& m = spill_->meta[e.row];
    m.stored = static_cast<uint32_t>(key_bytes + row.size());
    m.hash = hash_bytes(row.data(), row.size());
    --spill_->fresh;
  }

  // When the cache is full: a CLOCK sweep writes back and evicts about an
  // eighth of it, keys not selected since the hand last passed first.
  void make_room() {
    auto& s = *spill_;
    if (index_.size() < s.capacity) return;
    size_t target = index_.size() - s.capacity + 1 + s.capacity / 8;
    for (int pass = 0; pass < 2 && s.victims.size() < target; ++pass) {
      s.hand = index_.sweep(s.hand, [&](const K& k, entry& e, uint64_t hash) {
        auto& m = s.meta[e.row];
        if (m.victim) return true;
        if (m.referenced) {
          m.referenced = false;
          return true;
        }
        write_back(k, hash, e, m);
        m.victim = true;
        s.victims.emplace_back(k, hash);
        return s.victims.size() < target;
      });
    }
    s.store->commit();
    for (const auto& [k, hash] : s.victims) {
      auto* e = index_.find(hash, k);
      free_row(*e);
      index_.erase(hash, k);
    }
    s.victims.clear();
  }

  // Writes a cached key's row to the store if it may have changed and does
  // differ (staged; the caller commits), with its change record.
  void write_back(const K& k, uint64_t hash, const entry& e, spill_meta& m) const {
    if (!m.touched) return;
    m.touched = false;
    auto& s = *spill_;
    store_key(row_tag, k, hash, s.key);
    if (!holds_state(e)) {
      if (m.stored == 0) return;
      s.store->stage_erase(s.key);
      stage_change(false);
      forget_stored(m);
      return;
    }
    s.value.clear();
    encode_row(e, s.value);
    auto h = hash_bytes(s.value.data(), s.value.size());
    if (m.stored != 0 && m.hash == h) return;  // read, not changed
    s.store->stage_put(s.key, s.value);
    stage_change(true);
    if (m.stored != 0) {
      s.stored_bytes -= m.stored;
    } else {
      ++s.stored_keys;
      --s.fresh;
    }
    m.stored = static_cast<uint32_t>(s.key.size() + s.value.size());
    m.hash = h;
    s.stored_bytes += m.stored;
  }
  // Stages the change record of the key in spill_->key (a row key): the
  // current epoch, then the row in spill_->value or a deletion.
  void stage_change(bool row) const {
    auto& s = *spill_;
    s.change_key.assign(s.key);
    s.change_key[0] = change_tag;
    s.change.clear();
    auto epoch = s.chain.epoch();
    for (int shift = 56; shift >= 0; shift -= 8)
      s.change.push_back(static_cast<char>(epoch >> shift));
    s.change.push_back(row ? 1 : 0);
    if (row) s.change.append(s.value);
    s.store->stage_put(s.change_key, s.change);
  }

  // Writes back every cached key that may have changed: the store then holds
  // all state.
  void flush() const {
    index_.for_each([&](const K& k, const entry& e, uint64_t hash) {
      write_back(k, hash, e, spill_->meta[e.row]);
      // In batches: the staged writes are a copy of what they write.
      if (spill_->store->staged_bytes() > write_batch_bytes) spill_->store->commit();
    });
    spill_->store->commit();
    // The current key may still be written through its handles.
    if (entry_) spill_->meta[entry_->row].touched = true;
  }

  // for_each_key() in leveldb mode: writes the cache back, then visits the
  // stored keys in store order, each loaded into the cache (if not cached).
  template <class F>
  void for_each_stored_key(F& f) {
    flush();
    auto it = spill_->store->iterate();
    for (it->seek(std::string(1, row_tag)); it->valid() && it->key()[0] == row_tag; it->next()) {
      K k{};
      if (it->key().size() < 3) malformed_store("key");
      byte_reader in(it->key().data() + 3, it->key().size() - 3);
      if (!codec<K>::decode(in, k) || in.remaining() != 0) malformed_store("key");
      hash_ = key_hash<K>{}(k);
      key_ = &k;
      auto* e = index_.find(hash_, k);
      if (!e) {
        e = insert_spilled();
        load(*e, it->key().size(), it->value());
      }
      touch(*e);
      select(e);
      if (holds_state(*e)) f(static_cast<const K&>(k));
      release_current_if_empty();
      key_ = nullptr;
      select(nullptr);
    }
  }

  // Groups store entries under `tag` by key group into out's key groups
  // (add_key_group: written out as they come when out streams): a header of
  // format `version`, the count, and what add(entry, body) appended for each
  // entry (false: skip it). Returns the bytes written.
  template <class Add>
  uint64_t write_groups(char tag, uint8_t version, operator_snapshot& out, Add&& add) const {
    std::string header;
    write_header(version, header);
    std::string body;
    uint64_t count = 0, bytes = 0;
    uint32_t group = 0;
    auto emit = [&] {
      if (count == 0) return;
      std::string g;
      g.reserve(header.size() + 10 + body.size());
      g = header;
      write_varint(g, count);
      g.append(body);
      bytes += g.size();
      out.add_key_group(group, std::move(g));
      body.clear();
      count = 0;
    };
    auto it = spill_->store->iterate();
    for (it->seek(std::string(1, tag)); it->valid() && it->key()[0] == tag; it->next()) {
      auto key = it->key();
      if (key.size() < 3) malformed_store("store key");
      uint32_t kg =
          (uint32_t{static_cast<unsigned char>(key[1])} << 8) | static_cast<unsigned char>(key[2]);
      if (kg != group) {
        emit();
        group = kg;
      }
      if (add(key, it->value(), body)) ++count;
    }
    emit();
    return bytes;
  }
  // The complete state from the store's rows.
  uint64_t write_stored_rows(operator_snapshot& out) const {
    return write_groups(row_tag, keyed_state_format, out,
                        [](std::string_view key, std::string_view row, std::string& body) {
                          body.append(key.substr(3));
                          body.append(row);
                          return true;
                        });
  }
  // The changes of epochs since_epoch and later, from the change records;
  // drops older records (no later delta needs them).
  uint64_t write_changes(operator_snapshot& out, uint64_t since_epoch) const {
    auto& s = *spill_;
    const size_t states = columns_.size() + (has_inline() ? 1 : 0);
    auto bytes =
        write_groups(change_tag, keyed_state_delta_format, out,
                     [&](std::string_view key, std::string_view change, std::string& body) {
                       if (change.size() < 9) malformed_store("change record");
                       uint64_t epoch = 0;
                       for (int i = 0; i < 8; ++i)
                         epoch = (epoch << 8) | static_cast<unsigned char>(change[i]);
                       if (epoch < since_epoch) {
                         s.store->stage_erase(key);  // the iterator does not see it
                         if (s.store->staged_bytes() > write_batch_bytes) s.store->commit();
                         return false;
                       }
                       body.append(key.substr(3));
                       if (change[8] == 1)
                         body.append(change.substr(9));
                       else
                         body.append(states, '\0');  // no state: deleted
                       return true;
                     });
    s.store->commit();
    return bytes;
  }

  keyed_map<K, entry> index_;
  uint64_t hash_ = 0;
  const K* key_ = nullptr;
  entry* entry_ = nullptr;
  std::unique_ptr<spill> spill_;  // leveldb mode
};

// Reads the key groups `state` owns from every earlier subtask's snapshot.
// `previous` holds chains: a complete snapshot (extends == 0), then the deltas
// over it in order, each extending the checkpoint of the one before; the
// chains of different subtasks hold different key groups. `own`: the
// checkpoint whose snapshots are this task's own (subtask_info::restored_own;
// 0: none): if a single chain ending at it holds the state, later
// incremental snapshots go on with that chain.
template <class K, class Inline>
status restore_key_groups(keyed_state<K, Inline>& state,
                          const std::vector<operator_snapshot>& previous, uint32_t max_parallelism,
                          uint64_t own = 0) {
  auto range = state.range();
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
      return state.read_key_group(kg, bytes);
    });
    if (!st.ok()) return st;
  }
  state.finish_restore();
  size_t used = 0;
  const chain_facts* mine = nullptr;
  for (const auto& f : facts)
    if (f.used) {
      ++used;
      mine = &f;
    }
  if (own != 0 && used == 1 && mine->last == own)
    state.restored_own(own, mine->delta_bytes, mine->deltas);
  return {};
}

}  // namespace nagare::detail
