// The keyed state of one operator instance, typed part: every keyed state the
// operator declared (nagare/state.hpp), for the keys of the key groups its
// subtask owns, as typed cells on the heap; where the state lives beyond the
// heap is the state backend's business (detail/keyed_backend.hpp, memory or
// leveldb, implemented in libnagare).
//
// Layout: a keyed_map from key to a row number (one probe per record, with the
// key's hash computed once by the caller), and one column per declared state
// holding a cell per row (detail/state_column.hpp). A key has a row while at
// least one of its states is non-empty; rows of released keys are reused. The
// runtime selects the current key before it calls user code
// (set_current_key); state handles then read and write the current key's
// cells.
//
// With an unbounded backend (memory) the keyed_map holds every key and
// selecting a key is one inlined probe. With a bounded one (leveldb) it is a
// write-back cache: a key not cached is asked of the backend when selected,
// and the backend may evict other keys to make room. Selecting a key may
// therefore move other keys' cells: pointers from state handles stay valid
// only while their key is current (and, as always, until the next write).
//
// The format of a key group is described in detail/keyed_backend.hpp.
//
// Not thread-safe: owned by one operator instance in one task. Backend errors
// throw operator_failure (the task fails).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/keyed_backend.hpp"
#include "nagare/detail/keyed_map.hpp"
#include "nagare/detail/keyed_rows.hpp"
#include "nagare/detail/one_input_operator.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/detail/snapshot_fwd.hpp"
#include "nagare/hash.hpp"
#include "nagare/owned.hpp"
#include "nagare/status.hpp"

namespace nagare::detail {

// The keyed state for keys K. Inline (optional): the type of one value state
// stored in the key's map entry itself rather than in a column, so that an
// operator with a single value state (reduce, aggregate) touches one cache
// line per record.
template <class K, class Inline = void>
class keyed_state final : public keyed_rows, private row_cache, private key_group_restorer {
  // A key's map entry: the inline cell and the key's row (no_row until a
  // column state of the key is written; with a bounded backend every cached
  // key has a row). The row sits in the cell's tail padding.
  struct entry : state_cell<Inline> {
    uint32_t row = no_row;
  };

 public:
  // Forgets every state and declaration; the keyed state will hold the keys
  // of the key groups in `range` on `backend` (the memory backend if null).
  void open(key_group_range range, uint32_t max_parallelism,
            owned<keyed_backend> backend = nullptr) {
    index_.open(range, max_parallelism);
    reset();
    backend_ = backend ? std::move(backend) : make_memory_backend();
    bounded_ = backend_->bounded();
    key_ = nullptr;
    entry_ = nullptr;
    victims_.clear();
  }
  // open() on the backend `opts` names (make_keyed_backend); an error if it
  // cannot be made.
  status open(key_group_range range, uint32_t max_parallelism, const state_backend_options& opts) {
    auto made = make_keyed_backend(opts, range, max_parallelism);
    if (!made.ok()) return made.error();
    open(range, max_parallelism, std::move(made.value()));
    return {};
  }
  // Whether keys may live off the heap (a bounded backend).
  bool spills() const { return bounded_; }

  // Makes `key` (whose key_hash is `hash`) the current key: one probe. `key`
  // must stay alive and unchanged while it is current (during the user call).
  void set_current_key(uint64_t hash, const K& key) {
    hash_ = hash;
    key_ = &key;
    if (__builtin_expect(bounded_, 0)) return select_bounded(false);
    select(index_.find(hash, key));
  }
  // set_current_key() that also inserts the key if absent, in the same probe
  // (for operators that write state for every record).
  void set_current_key_and_create(uint64_t hash, const K& key) {
    hash_ = hash;
    key_ = &key;
    if (__builtin_expect(bounded_, 0)) return select_bounded(true);
    select(index_.get_or_create(hash, key).first);
  }
  // Starts fetching where selecting a key with key_hash `hash` will look.
  void prefetch(uint64_t hash) const { index_.prefetch(hash); }
  // The inline cell of `key` (key_hash `hash`), inserted if absent, without
  // making it current: set_current_key_and_create() minus its bookkeeping,
  // for updates that touch only the inline state and run no user code that
  // reads state (aggregate, reduce). Valid until the next insertion.
  // REQUIRES: !spills().
  state_cell<Inline>& inline_cell(uint64_t hash, const K& key) {
    return *index_.get_or_create(hash, key).first;
  }
  // REQUIRES: a current key is set.
  const K& current_key() const { return *key_; }

  // Makes every key that holds state current in turn and calls f(key). f may
  // read and write the states of its key; keys it empties are released (with
  // an unbounded backend only after the visit). f must not set another
  // current key.
  template <class F>
  void for_each_key(F&& f) {
    if (bounded_) return for_each_stored_key(f);
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
    if (bounded_) {
      encode_key(*key_, key_bytes_);
      backend_->released(key_group_of(hash_, index_.max_parallelism()), key_bytes_, entry_->row);
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

  owned<timer_index> make_timer_index() override { return backend_->make_timer_index(); }

  // Keys that hold state (0 before open: there is no backend yet).
  size_t size() const { return backend_ ? static_cast<size_t>(backend_->keys(*this)) : 0; }
  uint64_t state_bytes() const { return backend_ ? backend_->state_bytes() : 0; }
  key_group_range range() const { return index_.range(); }
  // Keys on the heap (a bounded backend: in the cache).
  size_t cached() const override { return index_.size(); }

  // Checkpoints (the operator's prepare_checkpoint and checkpoint_complete):
  // the snapshot that comes next is for checkpoint `id`; checkpoint `id` is
  // complete. Only a backend with incremental snapshots cares.
  void prepare_checkpoint(uint64_t id) { backend_->prepare_checkpoint(id); }
  void checkpoint_complete(uint64_t id) { backend_->checkpoint_complete(id); }
  // See keyed_backend::restored_own.
  void restored_own(uint64_t checkpoint, uint64_t chain_bytes, uint32_t length) override {
    backend_->restored_own(checkpoint, chain_bytes, length);
  }

  // The operator's snapshot of its keyed state, complete or (a backend with
  // incremental snapshots) a delta (sets out.extends). Writes key groups
  // (add_key_group: they may stream out as they come) and out.extends only.
  void write_snapshot(operator_snapshot& out) const { backend_->write_snapshot(self(), out); }

  // Writes the complete encoding of each key group's state to `out`, for
  // every key group with a key that holds state, in ascending order.
  void write_key_groups(key_group_writer& out) const { backend_->write_key_groups(self(), out); }

  // Adds the state that write_key_groups() (or a delta) encoded for key group
  // `kg`. Complete format: adds its keys; delta format: replaces or deletes
  // its keys. Malformed bytes, an undeclared or mismatched state, a key of
  // another key group (the max parallelism changed) or, with an unbounded
  // backend, a key already present in a complete key group are errors; the
  // state may then hold part of the key group. A bounded backend keeps the
  // keys (keyed_backend::restore_row), not the cache. REQUIRES: no key was
  // selected since open(); call finish_restore() after the last one.
  status read_key_group(uint32_t kg, const std::string& bytes) override {
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
    // A bounded backend: each key is decoded into a scratch entry, then its
    // row goes to the backend.
    entry scratch;
    if (bounded_) scratch.row = allocate_row();
    seen_keys seen;  // keys' bytes in `bytes`
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
      // The map catches a key twice in a complete key group of an unbounded
      // backend; the others compare the keys' bytes.
      if ((bounded_ || delta) &&
          !seen.insert(std::string_view(
              key_start, bytes.data() + (bytes.size() - in.remaining()) - key_start))) {
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
      if (!bounded_) {
        auto [found, created] = index_.get_or_create(hash, key);
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
      if (bounded_) {
        encode_key(key, key_bytes_);
        row_bytes_.clear();
        if (any) encode_row(*e, row_bytes_);
        backend_->restore_row(kg, key_bytes_, any ? &row_bytes_ : nullptr);
      } else if (!any) {  // a deletion
        if (e->row != no_row) free_.push_back(e->row);
        index_.erase(hash, key);
      }
    }
    if (bounded_) {
      clear_cells(scratch);
      free_.push_back(scratch.row);
    }
    if (!st.ok()) return st;
    if (in.remaining() != 0) return where("trailing bytes after the entries");
    return {};
  }

  // After the last read_key_group() of a restore (the backend counts what it
  // holds).
  void finish_restore() override { backend_->finish_restore(); }

  // Reads the key groups this keyed state owns from every earlier subtask's
  // snapshot chain (see restore_key_groups below).
  status restore(const std::vector<operator_snapshot>& previous, uint32_t max_parallelism,
                 uint64_t own) {
    return restore_key_group_chains(*this, index_.range(), previous, max_parallelism, own);
  }

 private:
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
    if (!bounded_) return select(index_.get_or_create(hash_, *key_).first);
    auto* e = insert_cached(nullptr);  // set_current_key found it in neither cache nor backend
    backend_->touch(e->row);
    select(e);
  }
  row_cache& self() const { return const_cast<keyed_state&>(*this); }

  // Header of a key group string: version, then the states' names and kinds.
  void write_header(uint8_t version, std::string& out) const override {
    out.push_back(static_cast<char>(version));
    write_varint(out, states());
    if (has_inline()) {
      codec<std::string>::encode(inline_name_, out);
      out.push_back(static_cast<char>(state_kind::value));
    }
    for (const auto& c : columns_) {
      codec<std::string>::encode(c->name(), out);
      out.push_back(static_cast<char>(c->kind()));
    }
  }
  size_t states() const override { return columns_.size() + (has_inline() ? 1 : 0); }
  // Appends the key's row: presence byte and cell per state.
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
  static void encode_key(const K& key, std::string& out) {
    out.clear();
    codec<K>::encode(key, out);
  }
  [[noreturn]] static void malformed(const char* what) {
    throw_failure(status(errc::io_error, std::string("state backend: malformed ") + what));
  }

  // ---- row_cache (what a bounded backend sees of the heap) ----

  void write_cached_key_groups(key_group_writer& out) const override {
    const auto max = index_.max_parallelism();
    std::vector<uint64_t> counts(max);
    index_.for_each([&](const K&, const entry& e, uint64_t hash) {
      if (holds_state(e)) ++counts[key_group_of(hash, max)];
    });
    std::string header;
    write_header(keyed_state_format, header);
    std::vector<std::string> groups(max);
    for (uint32_t kg = 0; kg < max; ++kg) {
      if (counts[kg] == 0) continue;
      groups[kg] = header;
      write_varint(groups[kg], counts[kg]);
    }
    index_.for_each([&](const K& k, const entry& e, uint64_t hash) {
      if (!holds_state(e)) return;
      auto& g = groups[key_group_of(hash, max)];
      codec<K>::encode(k, g);
      encode_row(e, g);
    });
    for (uint32_t kg = 0; kg < max; ++kg)
      if (counts[kg] != 0) out.write(kg, std::move(groups[kg]));
  }
  // A cached key of a sweep.
  struct visited final : cached_key {
    const keyed_state* self;
    const K* key;
    const entry* e;
    uint64_t hash;
    uint32_t row() const override { return e->row; }
    uint32_t key_group() const override {
      return key_group_of(hash, self->index_.max_parallelism());
    }
    bool holds_state() const override { return self->holds_state(*e); }
    void encode_key(std::string& out) const override { codec<K>::encode(*key, out); }
    void encode_row(std::string& out) const override { self->encode_row(*e, out); }
    void mark_evicted() const override {
      const_cast<keyed_state*>(self)->victims_.emplace_back(*key, hash);
    }
  };
  size_t sweep(size_t from, cache_visitor& v) override {
    return index_.sweep(from, [&](const K& k, entry& e, uint64_t hash) {
      visited x;
      x.self = this;
      x.key = &k;
      x.e = &e;
      x.hash = hash;
      return v.visit(x);
    });
  }
  void evict_marked() override {
    for (const auto& [k, hash] : victims_) {
      auto* e = index_.find(hash, k);
      clear_cells(*e);
      free_.push_back(e->row);
      index_.erase(hash, k);
    }
    victims_.clear();
  }
  void for_each_cached(cache_visitor& v) override {
    index_.for_each([&](const K& k, const entry& e, uint64_t hash) {
      visited x;
      x.self = this;
      x.key = &k;
      x.e = &e;
      x.hash = hash;
      v.visit(x);
    });
  }
  uint32_t current_row() const override { return entry_ ? entry_->row : no_row; }

  // ---- bounded backends ----

  // Empties a cached key's row and frees it (the key leaves the cache).
  void free_row(entry& e) {
    clear_cells(e);
    free_.push_back(e.row);
  }
  // set_current_key() with a bounded backend: the cache, else the backend; a
  // key in neither is created if `create`. Never inlined, so that an
  // unbounded backend's set_current_key stays one probe inlined into the
  // operator.
  [[gnu::noinline]] void select_bounded(bool create) {
    if (auto* e = index_.find(hash_, *key_)) {
      backend_->touch(e->row);
      return select(e);
    }
    backend_->make_room(*this);  // first: it may evict through scratch buffers
    encode_key(*key_, key_bytes_);
    entry* e = nullptr;
    if (backend_->load(key_group_of(hash_, index_.max_parallelism()), key_bytes_, row_bytes_)) {
      e = insert_cached(&row_bytes_, false);
    } else if (create) {
      e = insert_cached(nullptr, false);
    }
    if (e) backend_->touch(e->row);
    select(e);
  }
  // Caches the current key (absent from the cache) with its stored row
  // (nullptr: a new key), after making room (if `room`).
  entry* insert_cached(const std::string* stored, bool room = true) {
    if (room) backend_->make_room(*this);
    auto* e = index_.get_or_create(hash_, *key_).first;
    e->row = allocate_row();
    if (stored) {
      byte_reader in(stored->data(), stored->size());
      if (!decode_row(in, *e)) malformed("row");
    }
    encode_key(*key_, key_bytes_);
    backend_->cached(e->row, key_bytes_.size(), stored);
    return e;
  }

  // for_each_key() with a bounded backend: it writes the cache back, then
  // hands over the stored keys in store order, each loaded into the cache (if
  // not cached).
  template <class F>
  void for_each_stored_key(F& f) {
    struct visitor final : stored_key_visitor {
      keyed_state* self;
      F* f;
      void visit(uint32_t, std::string_view key, std::string_view row) override {
        self->visit_stored(*f, key, row);
      }
    } v;
    v.self = this;
    v.f = &f;
    backend_->for_each_stored(*this, v);
  }
  template <class F>
  void visit_stored(F& f, std::string_view key_bytes, std::string_view row) {
    K k{};
    byte_reader in(key_bytes.data(), key_bytes.size());
    if (!codec<K>::decode(in, k) || in.remaining() != 0) malformed("key");
    hash_ = key_hash<K>{}(k);
    key_ = &k;
    auto* e = index_.find(hash_, k);
    if (!e) {
      row_bytes_.assign(row.data(), row.size());
      e = insert_cached(&row_bytes_);
    }
    backend_->touch(e->row);
    select(e);
    if (holds_state(*e)) f(static_cast<const K&>(k));
    release_current_if_empty();
    key_ = nullptr;
    select(nullptr);
  }

  keyed_map<K, entry> index_;
  uint64_t hash_ = 0;
  const K* key_ = nullptr;
  entry* entry_ = nullptr;
  bool bounded_ = false;
  owned<keyed_backend> backend_;
  std::vector<std::pair<K, uint64_t>> victims_;  // marked in a sweep
  std::string key_bytes_, row_bytes_;            // scratch
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
  return state.restore(previous, max_parallelism, own);
}

}  // namespace nagare::detail
