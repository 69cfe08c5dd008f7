// The operator (non-keyed) state backend of one operator instance: named
// lists whose elements are independent entries (a source's split positions,
// for instance). At a checkpoint each element becomes one entry of
// operator_snapshot::entries; a restore at any parallelism redistributes
// them among the subtasks (nagare::redistribution).
//
// Entry format: codec<std::string> state name, then codec<V> of the element,
// nothing after it. An entry of a state the operator does not declare, or
// malformed bytes, fail the restore.
//
// Not thread-safe: owned by one operator instance in one task.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/failure.hpp"
#include "nagare/detail/snapshot_fwd.hpp"
#include "nagare/owned.hpp"
#include "nagare/status.hpp"

namespace nagare {

// How a restore divides an operator list state's elements among the subtasks.
enum class redistribution : uint8_t {
  // Each element goes to exactly one subtask: the i-th element (over all earlier
  // subtasks, in subtask order) to subtask i % parallelism.
  even_split = 0,
  // Every subtask gets every element and takes its own share itself (as a
  // source_reader's restore() does with its positions).
  union_all = 1,
};

}  // namespace nagare

namespace nagare::detail {

class operator_list_base {
 public:
  operator_list_base(std::string name, redistribution mode) : name_(std::move(name)), mode_(mode) {}
  virtual ~operator_list_base() = default;
  operator_list_base(const operator_list_base&) = delete;
  operator_list_base& operator=(const operator_list_base&) = delete;

  const std::string& name() const { return name_; }
  redistribution mode() const { return mode_; }
  // Appends one entry per element.
  virtual void write(std::vector<std::string>& out) const = 0;
  virtual void clear() = 0;
  // Decodes one element (the rest of `in`) and keeps it if `keep`; false: malformed.
  virtual bool read(byte_reader& in, bool keep) = 0;

 private:
  std::string name_;
  redistribution mode_;
};

template <class V>
class operator_list final : public operator_list_base {
 public:
  using operator_list_base::operator_list_base;

  // Appends the entries of elements `items` of state `name` to `out`.
  static void write(const std::string& name, const std::vector<V>& items,
                    std::vector<std::string>& out) {
    for (const auto& item : items) {
      std::string e;
      codec<std::string>::encode(name, e);
      codec<V>::encode(item, e);
      out.push_back(std::move(e));
    }
  }
  void write(std::vector<std::string>& out) const override { write(name(), items, out); }
  void clear() override { items.clear(); }
  bool read(byte_reader& in, bool keep) override {
    V v{};
    if (!codec<V>::decode(in, v) || in.remaining() != 0) return false;
    if (keep) items.push_back(std::move(v));
    return true;
  }

  std::vector<V> items;
};

class operator_state {
 public:
  // The list named `name`, declared now if new. Throws std::invalid_argument
  // when the name is empty or already declared with another type or mode.
  template <class V>
  operator_list<V>* declare(const std::string& name, redistribution mode) {
    if (name.empty()) throw_invalid_argument("a state needs a name");
    for (const auto& l : lists_) {
      if (l->name() != name) continue;
      auto* same = dynamic_cast<operator_list<V>*>(l.get());
      if (same && same->mode() == mode) return same;
      throw_invalid_argument("operator state '" + name +
                             "' declared twice with different types or redistributions");
    }
    auto list = make_owned<operator_list<V>>(name, mode);
    auto* raw = list.get();
    lists_.push_back(std::move(list));
    return raw;
  }

  void reset() { lists_.clear(); }

  // Appends one entry per element of every declared list.
  void write(std::vector<std::string>& out) const;

  // Replaces the lists' elements with this subtask's share of the entries of
  // `previous` (every earlier subtask's snapshot, in subtask order).
  // (libnagare, runtime/src/operator_state.cpp)
  status restore(const std::vector<operator_snapshot>& previous, uint32_t subtask,
                 uint32_t parallelism);
  // restore() from the last snapshot of each chain in `previous` (a complete
  // snapshot followed by its deltas, chain after chain): operator state is
  // written complete into every snapshot.
  status restore_chain_ends(const std::vector<operator_snapshot>& previous, uint32_t subtask,
                            uint32_t parallelism);

 private:
  std::vector<owned<operator_list_base>> lists_;
};

}  // namespace nagare::detail
