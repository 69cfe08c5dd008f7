// Map state: a map from MK to MV per key (nagare/state.hpp), ordered by MK.
// Not part of nagare/nagare.hpp, so that <map> stays out of jobs that do not
// use it: include it to declare map state (state_context::map).
//
// A cell is a std::map<MK, MV> (empty: none); its encoding in a key group is
// a varint count then codec<MK>, codec<MV> per entry (never empty, keys
// increasing). Map keys need operator<.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/keyed_rows.hpp"
#include "nagare/detail/state_column.hpp"
#include "nagare/state.hpp"

namespace nagare {

namespace detail {

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

}  // namespace detail

// A map from MK to MV per key (empty: none), ordered by MK.
template <class MK, class MV>
class map_state {
 public:
  map_state() = default;  // unbound: assign the result of state_context::map()

  // The current key's entries, in increasing MK order (empty when it has none).
  const std::map<MK, MV>& entries() const {
    static const std::map<MK, MV> none;
    auto row = rows_->current();
    return row == detail::no_row ? none : column_->maps[row];
  }
  // The value under `k`, nullptr if absent. Writing through it updates the state.
  MV* get(const MK& k) {
    auto row = rows_->current();
    if (row == detail::no_row) return nullptr;
    auto& m = column_->maps[row];
    auto it = m.find(k);
    return it == m.end() ? nullptr : &it->second;
  }
  const MV* get(const MK& k) const { return const_cast<map_state*>(this)->get(k); }
  bool contains(const MK& k) const { return get(k) != nullptr; }
  size_t size() const { return entries().size(); }
  bool empty() const { return entries().empty(); }
  // Sets the value under `k`; returns it.
  MV& put(MK k, MV v) {
    auto& m = column_->maps[rows_->current_or_create()];
    return m.insert_or_assign(std::move(k), std::move(v)).first->second;
  }
  // Removes `k`; returns whether it was present.
  bool remove(const MK& k) {
    auto row = rows_->current();
    if (row == detail::no_row || column_->maps[row].erase(k) == 0) return false;
    rows_->release_current_if_empty();
    return true;
  }
  void clear() {
    auto row = rows_->current();
    if (row == detail::no_row) return;
    column_->clear(row);
    rows_->release_current_if_empty();
  }

 private:
  friend class state_context;
  map_state(detail::keyed_rows* rows, detail::map_column<MK, MV>* column)
      : rows_(rows), column_(column) {}
  detail::keyed_rows* rows_ = nullptr;
  detail::map_column<MK, MV>* column_ = nullptr;
};

template <class MK, class MV>
map_state<MK, MV> state_context::map(const std::string& name) {
  return {keyed("map", name), keyed_->declare<detail::map_column<MK, MV>>(name)};
}

}  // namespace nagare
