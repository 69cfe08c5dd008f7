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
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/keyed_map.hpp"
#include "nagare/detail/snapshot.hpp"
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

template <class V>
class value_column final : public state_column {
 public:
  struct cell {
    V value{};
    bool present = false;
  };
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
// declared columns and the current row. State handles hold a pointer to it.
class keyed_rows {
 public:
  keyed_rows() = default;
  virtual ~keyed_rows() = default;
  keyed_rows(const keyed_rows&) = delete;
  keyed_rows& operator=(const keyed_rows&) = delete;

  // The current key's row, or no_row when it holds no state.
  uint32_t current() const { return current_; }
  // The current key's row, created (all cells empty) if absent.
  // REQUIRES: a current key is set.
  uint32_t current_or_create() {
    if (current_ == no_row) current_ = insert_current();
    return current_;
  }
  // After a state of the current key was emptied: drops the key when none of
  // its states holds anything anymore (deferred while visiting keys).
  void release_current_if_empty() {
    if (current_ == no_row || visiting_) return;
    for (const auto& c : columns_)
      if (!c->empty(current_)) return;
    erase_current();
    free_.push_back(current_);
    current_ = no_row;
  }

  // The column of state `name`, declared now if new. Throws
  // std::invalid_argument when the name is empty or already declared with
  // another kind or type. REQUIRES: no key holds state yet.
  template <class Column>
  Column* declare(const std::string& name) {
    if (name.empty()) throw std::invalid_argument("a state needs a name");
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

  const std::vector<std::unique_ptr<state_column>>& columns() const { return columns_; }

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
    rows_ = 0;
    current_ = no_row;
    visiting_ = false;
  }
  bool holds_state(uint32_t row) const {
    for (const auto& c : columns_)
      if (!c->empty(row)) return true;
    return false;
  }
  // Inserts the current key with a new row and returns it.
  virtual uint32_t insert_current() = 0;
  // Removes the current key from the index.
  virtual void erase_current() = 0;

  std::vector<std::unique_ptr<state_column>> columns_;
  std::vector<uint32_t> free_;  // rows of released keys, all cells empty
  uint32_t rows_ = 0;
  uint32_t current_ = no_row;
  bool visiting_ = false;
};

template <class K>
class keyed_state final : public keyed_rows {
 public:
  // Forgets every state and declaration; the backend will hold the keys of
  // the key groups in `range`.
  void open(key_group_range range, uint32_t max_parallelism) {
    index_.open(range, max_parallelism);
    reset();
    key_ = nullptr;
  }

  // Makes `key` (whose key_hash is `hash`) the current key: one probe. `key`
  // must stay alive and unchanged while it is current (during the user call).
  void set_current_key(uint64_t hash, const K& key) {
    hash_ = hash;
    key_ = &key;
    auto* row = index_.find(hash, key);
    current_ = row ? *row : no_row;
  }
  // set_current_key() that also creates the key's row if absent, in the same
  // probe (for operators that write state for every record).
  void set_current_key_and_create(uint64_t hash, const K& key) {
    hash_ = hash;
    key_ = &key;
    auto [row, created] = index_.get_or_create(hash, key, no_row);
    if (created) *row = allocate_row();
    current_ = *row;
  }
  // REQUIRES: a current key is set.
  const K& current_key() const { return *key_; }

  // Makes every key that holds state current in turn and calls f(key). f may
  // read and write the states of its key; keys it empties are released only
  // after the visit. f must not set another current key.
  template <class F>
  void for_each_key(F&& f) {
    visiting_ = true;
    index_.for_each([&](const K& k, const uint32_t& row, uint64_t hash) {
      hash_ = hash;
      key_ = &k;
      current_ = row;
      if (holds_state(row)) f(k);
    });
    visiting_ = false;
    // Release the keys emptied during the visit.
    std::vector<std::pair<K, uint64_t>> empty;
    index_.for_each([&](const K& k, const uint32_t& row, uint64_t hash) {
      if (!holds_state(row)) empty.emplace_back(k, hash);
    });
    for (const auto& [k, hash] : empty) {
      set_current_key(hash, k);
      release_current_if_empty();
    }
    key_ = nullptr;
    current_ = no_row;
  }

  // Keys that hold state.
  size_t size() const { return index_.size(); }
  key_group_range range() const { return index_.range(); }

  // Sets out[key group] to the encoding of that key group's state, for every
  // key group with a key that holds state. Two passes: count, then encode.
  void write_key_groups(std::map<uint32_t, std::string>& out) const {
    const auto max = index_.max_parallelism();
    std::vector<uint64_t> counts(max);
    index_.for_each([&](const K&, const uint32_t& row, uint64_t hash) {
      if (holds_state(row)) ++counts[key_group_of(hash, max)];
    });
    std::string header;
    header.push_back(static_cast<char>(keyed_state_format));
    write_varint(header, columns_.size());
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
    index_.for_each([&](const K& k, const uint32_t& row, uint64_t hash) {
      if (!holds_state(row)) return;
      auto& g = *groups[key_group_of(hash, max)];
      codec<K>::encode(k, g);
      for (const auto& c : columns_) {
        bool present = !c->empty(row);
        g.push_back(present ? 1 : 0);
        if (present) c->encode(row, g);
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
    std::vector<state_column*> order;
    for (uint64_t s = 0; s < states; ++s) {
      std::string name;
      uint8_t kind = 0;
      if (!codec<std::string>::decode(in, name) || !in.read(&kind, 1))
        return where("malformed state header");
      state_column* column = nullptr;
      for (const auto& c : columns_)
        if (c->name() == name) column = c.get();
      if (!column)
        return status(errc::invalid_argument, "snapshot holds keyed state '" + name +
                                                  "' that this operator does not declare");
      if (static_cast<uint8_t>(column->kind()) != kind)
        return status(errc::invalid_argument, "keyed state '" + name + "' is a " +
                                                  to_string(column->kind()) +
                                                  " state here but another kind in the snapshot");
      for (auto* seen : order)
        if (seen == column) return where("state '" + name + "' appears twice");
      order.push_back(column);
    }
    uint64_t n = 0;
    if (!in.read_varint(n)) return where("malformed key count");
    const auto max = index_.max_parallelism();
    for (uint64_t i = 0; i < n; ++i) {
      auto entry = [&](const std::string& what) {
        return where("entry " + std::to_string(i) + " of " + std::to_string(n) + ": " + what);
      };
      K key{};
      if (!codec<K>::decode(in, key)) return entry("malformed key");
      auto hash = key_hash<K>{}(key);
      if (key_group_of(hash, max) != kg)
        return status(errc::invalid_argument, "state of key group " + std::to_string(kg) +
                                                  " holds a key of key group " +
                                                  std::to_string(key_group_of(hash, max)) +
                                                  " (was the max parallelism changed?)");
      auto [slot, created] = index_.get_or_create(hash, key, no_row);
      if (!created) return entry("a key appears twice");
      const auto row = allocate_row();
      *slot = row;
      bool any = false;
      for (auto* column : order) {
        uint8_t present = 0;
        if (!in.read(&present, 1) || present > 1) return entry("malformed presence flag");
        if (present == 0) continue;
        if (!column->decode(in, row)) return entry("malformed state '" + column->name() + "'");
        any = true;
      }
      if (!any) return entry("a key without state");
    }
    if (in.remaining() != 0) return where("trailing bytes after the entries");
    return {};
  }

 private:
  uint32_t insert_current() override {
    auto row = allocate_row();
    index_.get_or_create(hash_, *key_, row);
    return row;
  }
  void erase_current() override { index_.erase(hash_, *key_); }

  keyed_map<K, uint32_t> index_;
  uint64_t hash_ = 0;
  const K* key_ = nullptr;
};

// Reads the key groups `state` owns from every earlier subtask's snapshot.
template <class K>
status restore_key_groups(keyed_state<K>& state, const std::vector<operator_snapshot>& previous,
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
