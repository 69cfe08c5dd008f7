// The part of a keyed state backend that does not depend on the key type:
// rows, the declared columns (detail/state_column.hpp) and the current key's
// row and inline cell. State handles (nagare/state.hpp) hold a pointer to it;
// keyed_state<K, Inline> (detail/keyed_state.hpp) implements it.
//
// Not thread-safe: owned by one operator instance, used from its task's
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/detail/failure.hpp"
#include "nagare/detail/state_column.hpp"
#include "nagare/detail/timer_index.hpp"
#include "nagare/owned.hpp"

namespace nagare::detail {

// The part of the backend that does not depend on the key type: rows, the
// declared columns and the current key's row and inline cell. State handles
// hold a pointer to it.
class keyed_rows {
 public:
  keyed_rows() = default;
  virtual ~keyed_rows() = default;
  keyed_rows(const keyed_rows&) = delete;
  keyed_rows& operator=(const keyed_rows&) = delete;

  // A new, empty index over the timers of these keys, from the state
  // backend (keyed_backend::make_timer_index).
  virtual owned<timer_index> make_timer_index() = 0;

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
    if (name.empty()) throw_invalid_argument("a state needs a name");
    if (name == inline_name_)
      throw_invalid_argument("state '" + name + "' declared twice with different types");
    for (const auto& c : columns_) {
      if (c->name() != name) continue;
      if (auto* same = dynamic_cast<Column*>(c.get())) return same;
      throw_invalid_argument("state '" + name + "' declared twice with different types");
    }
    auto column = make_owned<Column>(name);
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
    if (rows_ == no_row) throw_logic_error("too many keys in one subtask");
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

  std::vector<owned<state_column>> columns_;
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

}  // namespace nagare::detail
