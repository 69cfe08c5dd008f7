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
// Snapshot format of one key group (write_key_groups / read_key_group), every
// declared state of the operator in one string:
//   byte    format version (keyed_state_format)
//   varint  number of states S, then S times: codec<std::string> name, byte kind
//   varint  number of keys N, then N times: codec<K> key, then per state (in
//           header order) a byte 1 followed by the state's cell, or a byte 0
//           (the key has no value in that state)
// Cells: a value state codec<V>; a list state codec<std::vector<V>> (never
// empty); a map state a varint count then codec<MK>, codec<MV> per entry (never
// empty, keys increasing). A restore matches states by name: a state in the
// snapshot that the operator does not declare, or declares with another kind,
// is an error; a declared state missing from the snapshot starts empty.
//
// Not thread-safe: owned by one operator instance in one task.
#pragma once

#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/keyed_map.hpp"
#include "nagare/detail/snapshot.hpp"
#include "nagare/detail/timer_index.hpp"
#include "nagare/hash.hpp"
#include "nagare/status.hpp"

namespace nagare {
struct subtask_info;
}

namespace nagare::detail {

inline constexpr uint32_t no_row = std::numeric_limits<uint32_t>::max();
inline constexpr uint8_t keyed_state_format = 1;

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
  // column state of the key is written). The row sits in the cell's tail
  // padding.
  struct entry : state_cell<Inline> {
    uint32_t row = no_row;
  };

 public:
  // Forgets every state and declaration; the backend will hold the keys of
  // the key groups in `range`.
  void open(key_group_range range, uint32_t max_parallelism) {
    index_.open(range, max_parallelism);
    reset();
    key_ = nullptr;
    entry_ = nullptr;
  }

  // Makes `key` (whose key_hash is `hash`) the current key: one probe. `key`
  // must stay alive and unchanged while it is current (during the user call).
  void set_current_key(uint64_t hash, const K& key) {
    hash_ = hash;
    key_ = &key;
    select(index_.find(hash, key));
  }
  // set_current_key() that also inserts the key if absent, in the same probe
  // (for operators that write state for every record).
  void set_current_key_and_create(uint64_t hash, const K& key) {
    hash_ = hash;
    key_ = &key;
    select(index_.get_or_create(hash, key, entry{}).first);
  }
  // REQUIRES: a current key is set.
  const K& current_key() const { return *key_; }

  // Makes every key that holds state current in turn and calls f(key). f may
  // read and write the states of its key; keys it empties are released only
  // after the visit. f must not set another current key.
  template <class F>
  void for_each_key(F&& f) {
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
    if (entry_->row != no_row) free_.push_back(entry_->row);
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

  // Keys that hold state.
  size_t size() const { return index_.size(); }
  key_group_range range() const { return index_.range(); }

  // Sets out[key group] to the encoding of that key group's state, for every
  // key group with a key that holds state. Two passes: count, then encode.
  void write_key_groups(std::map<uint32_t, std::string>& out) const {
    const auto max = index_.max_parallelism();
    std::vector<uint64_t> counts(max);
    index_.for_each([&](const K&, const entry& e, uint64_t hash) {
      if (holds_state(e)) ++counts[key_group_of(hash, max)];
    });
    std::string header;
    header.push_back(static_cast<char>(keyed_state_format));
    write_varint(header, columns_.size() + (has_inline() ? 1 : 0));
    if (has_inline()) {
      codec<std::string>::encode(inline_name_, header);
      header.push_back(static_cast<char>(state_kind::value));
    }
    for (const auto& c : columns_) {
      codec<std::string>::encode(c->name(), header);
      header.push_back(static_cast<char>(c->kind()));
    }
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
      if constexpr (!std::is_void_v<Inline>) {
        if (has_inline()) {
          g.push_back(e.present ? 1 : 0);
          if (e.present) codec<Inline>::encode(e.value, g);
        }
      }
      for (const auto& c : columns_) {
        bool present = e.row != no_row && !c->empty(e.row);
        g.push_back(present ? 1 : 0);
        if (present) c->encode(e.row, g);
      }
    });
  }

  // Adds the state that write_key_groups() encoded for key group `kg`.
  // Malformed bytes, an undeclared or mismatched state, a key of another key
  // group (the max parallelism changed) or a key already present are errors;
  // the backend may then hold part of the key group.
  status read_key_group(uint32_t kg, const std::string& bytes) {
    auto where = [kg](const std::string& what) {
      return status(errc::io_error, "state of key group " + std::to_string(kg) + ": " + what);
    };
    if (!index_.range().contains(kg)) return where("not a key group of this subtask");
    byte_reader in(bytes.data(), bytes.size());
    uint8_t version = 0;
    if (!in.read(&version, 1)) return where("empty");
    if (version != keyed_state_format)
      return where("unknown format version " + std::to_string(version));
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
    for (uint64_t i = 0; i < n; ++i) {
      auto bad_entry = [&](const std::string& what) {
        return where("entry " + std::to_string(i) + " of " + std::to_string(n) + ": " + what);
      };
      K key{};
      if (!codec<K>::decode(in, key)) return bad_entry("malformed key");
      auto hash = key_hash<K>{}(key);
      if (key_group_of(hash, max) != kg)
        return status(errc::invalid_argument, "state of key group " + std::to_string(kg) +
                                                  " holds a key of key group " +
                                                  std::to_string(key_group_of(hash, max)) +
                                                  " (was the max parallelism changed?)");
      auto [e, created] = index_.get_or_create(hash, key, entry{});
      if (!created) return bad_entry("a key appears twice");
      bool any = false;
      for (auto* column : order) {
        uint8_t present = 0;
        if (!in.read(&present, 1) || present > 1) return bad_entry("malformed presence flag");
        if (present == 0) continue;
        if (!column) {
          if constexpr (!std::is_void_v<Inline>) {
            if (!codec<Inline>::decode(in, e->value)) return bad_entry("malformed inline state");
            e->present = true;
          }
        } else {
          if (e->row == no_row) e->row = allocate_row();
          if (!column->decode(in, e->row))
            return bad_entry("malformed state '" + column->name() + "'");
        }
        any = true;
      }
      if (!any) return bad_entry("a key without state");
    }
    if (in.remaining() != 0) return where("trailing bytes after the entries");
    return {};
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
    if (!entry_) select(index_.get_or_create(hash_, *key_, entry{}).first);
  }

  keyed_map<K, entry> index_;
  uint64_t hash_ = 0;
  const K* key_ = nullptr;
  entry* entry_ = nullptr;
};

// Reads the key groups `state` owns from every earlier subtask's snapshot.
template <class K, class Inline>
status restore_key_groups(keyed_state<K, Inline>& state,
                          const std::vector<operator_snapshot>& previous,
                          uint32_t max_parallelism) {
  auto range = state.range();
  std::vector<bool> seen(range.size());
  for (const auto& snap : previous) {
    for (const auto& [kg, bytes] : snap.key_groups) {
      if (kg >= max_parallelism)
        return status(errc::invalid_argument, "snapshot holds key group " + std::to_string(kg) +
                                                  ", above the max parallelism " +
                                                  std::to_string(max_parallelism));
      if (!range.contains(kg)) continue;
      if (seen[kg - range.first])
        return status(errc::io_error,
                      "key group " + std::to_string(kg) + " appears in two snapshots");
      seen[kg - range.first] = true;
      auto st = state.read_key_group(kg, bytes);
      if (!st.ok()) return st;
    }
  }
  return {};
}

}  // namespace nagare::detail
