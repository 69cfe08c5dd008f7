// The columns of a keyed state backend (detail/keyed_state.hpp): one per
// declared keyed state (nagare/state.hpp), holding a typed cell per row. State
// handles read and write the cells of the current key's row directly.
//
// Cells: a value state's state_cell<V>; a list state a std::vector<V> (empty:
// none); a map state a std::map<MK, MV> (empty: none; nagare/map_state.hpp).
// Their encodings (the
// cells of a key group's format): codec<V>; codec<std::vector<V>> (never
// empty); a varint count then codec<MK>, codec<MV> per entry (never empty,
// keys increasing).
//
// Not thread-safe: owned by one keyed_state, used from its task's thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"

namespace nagare::detail {

inline constexpr uint32_t no_row = UINT32_MAX;

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

}  // namespace nagare::detail
