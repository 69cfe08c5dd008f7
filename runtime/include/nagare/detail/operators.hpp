// The built-in operators: one class per kind, each an operator_instance with a
// typed input port. Operator objects hold the user's function; their mutable
// state is the state object (keyed_map) they own per subtask.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nagare/collector.hpp"
#include "nagare/detail/keyed_map.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/sink.hpp"
#include "nagare/source.hpp"

namespace nagare::detail {

// Thrown inside a task when an operator fails with a status; the task catches
// it and reports the status (it never leaves the task).
struct operator_failure : std::runtime_error {
  explicit operator_failure(status s) : std::runtime_error(s.message()), st(std::move(s)) {}
  status st;
};

template <class In, class Out>
class one_input_operator : public operator_instance, public input_port<In> {
 public:
  void* input() override { return static_cast<input_port<In>*>(this); }
  void connect(void* next) override { next_ = static_cast<input_port<Out>*>(next); }

 protected:
  input_port<Out>* next_ = nullptr;
};

template <class In, class Out, class F>
class map_operator final : public one_input_operator<In, Out> {
 public:
  explicit map_operator(F f) : f_(std::move(f)) {}
  void push(In& r) override {
    Out out = f_(std::move(r));
    this->next_->push(out);
  }

 private:
  F f_;
};

template <class T, class F>
class filter_operator final : public one_input_operator<T, T> {
 public:
  explicit filter_operator(F f) : f_(std::move(f)) {}
  void push(T& r) override {
    if (f_(static_cast<const T&>(r))) this->next_->push(r);
  }

 private:
  F f_;
};

template <class In, class Out, class F>
class flat_map_operator final : public one_input_operator<In, Out> {
 public:
  explicit flat_map_operator(F f) : f_(std::move(f)) {}
  void push(In& r) override {
    collector<Out> out(this->next_);
    f_(static_cast<const In&>(r), out);
  }

 private:
  F f_;
};

template <class KeyFn, class T>
using key_of_t = std::decay_t<std::invoke_result_t<KeyFn&, const T&>>;

// A keyed operator: finds each record's key and its state slot, stored per
// key group over the key groups this subtask owns. Its snapshot is its keyed
// state, one string per key group (format in keyed_map.hpp), so the key K and
// the state V need a codec.
template <class T, class Out, class KeyFn, class V>
class keyed_operator : public one_input_operator<T, Out> {
 public:
  using K = key_of_t<KeyFn, T>;

  status open(const subtask_info& info) override {
    state_.open(key_groups_of(info.subtask, info.max_parallelism, info.parallelism),
                info.max_parallelism);
    return {};
  }

  uint64_t state_entries() const override { return state_.size(); }

  void snapshot(operator_snapshot& out) const override { state_.write_key_groups(out.key_groups); }

  // Reads the key groups this subtask owns now from every earlier subtask's snapshot.
  status restore(const std::vector<operator_snapshot>& previous,
                 const subtask_info& info) override {
    auto range = state_.range();
    std::vector<bool> seen(range.size());
    for (const auto& snap : previous) {
      if (!snap.entries.empty())
        return status(errc::invalid_argument,
                      "snapshot of a keyed operator holds operator state entries");
      for (const auto& [kg, bytes] : snap.key_groups) {
        if (kg >= info.max_parallelism)
          return status(errc::invalid_argument, "snapshot holds key group " + std::to_string(kg) +
                                                    ", above the max parallelism " +
                                                    std::to_string(info.max_parallelism));
        if (!range.contains(kg)) continue;
        if (seen[kg - range.first])
          return status(errc::io_error,
                        "key group " + std::to_string(kg) + " appears in two snapshots");
        seen[kg - range.first] = true;
        auto st = state_.read_key_group(kg, bytes);
        if (!st.ok()) return st;
      }
    }
    return {};
  }

 protected:
  explicit keyed_operator(KeyFn key) : key_(std::move(key)) {}
  // The slot of r's key, created from `init` if absent; second: whether it was.
  template <class Init>
  std::pair<V*, bool> slot_of(const T& r, Init&& init) {
    K k = key_(r);
    return state_.get_or_create(key_hash<K>{}(k), k, std::forward<Init>(init));
  }
  keyed_map<K, V> state_;

 private:
  KeyFn key_;
};

// Rolling reduce: every record updates its key's value and emits the result.
template <class T, class KeyFn, class F>
class reduce_operator final : public keyed_operator<T, T, KeyFn, T> {
 public:
  reduce_operator(KeyFn key, F f)
      : keyed_operator<T, T, KeyFn, T>(std::move(key)), f_(std::move(f)) {}
  void push(T& r) override {
    const T& record = r;
    auto [slot, created] = this->slot_of(record, record);
    if (!created) *slot = f_(static_cast<const T&>(*slot), record);
    T out = *slot;
    this->next_->push(out);
  }

 private:
  F f_;
};

template <class Agg>
using aggregate_result_t =
    decltype(std::declval<const Agg&>().result(std::declval<const typename Agg::accumulator&>()));

// Keyed aggregation over the whole (bounded) input: one accumulator per key,
// and one (key, result) record per key when the input ends.
template <class T, class KeyFn, class Agg>
class aggregate_operator final
    : public keyed_operator<T, std::pair<key_of_t<KeyFn, T>, aggregate_result_t<Agg>>, KeyFn,
                            typename Agg::accumulator> {
  using K = key_of_t<KeyFn, T>;
  using Acc = typename Agg::accumulator;
  using Out = std::pair<K, aggregate_result_t<Agg>>;

 public:
  aggregate_operator(KeyFn key, Agg agg)
      : keyed_operator<T, Out, KeyFn, Acc>(std::move(key)), agg_(std::move(agg)) {}
  void push(T& r) override {
    agg_.add(*this->slot_of(r, agg_.create()).first, static_cast<const T&>(r));
  }
  void finish() override {
    this->state_.for_each([this](const K& k, const Acc& acc, uint64_t) {
      Out out{k, agg_.result(acc)};
      this->next_->push(out);
    });
  }

 private:
  Agg agg_;
};

// Hands every record to several successors (a stream with several consumers).
template <class T>
class tee_operator final : public operator_instance, public input_port<T> {
 public:
  void* input() override { return static_cast<input_port<T>*>(this); }
  void connect(void* next) override { next_.push_back(static_cast<input_port<T>*>(next)); }
  void push(T& r) override {
    for (size_t i = 0; i + 1 < next_.size(); ++i) {
      T copy = r;
      next_[i]->push(copy);
    }
    next_.back()->push(r);
  }

 private:
  std::vector<input_port<T>*> next_;
};

template <class T>
class sink_operator final : public operator_instance, public input_port<T> {
 public:
  explicit sink_operator(std::unique_ptr<sink<T>> s) : sink_(std::move(s)) {}
  void* input() override { return static_cast<input_port<T>*>(this); }
  status open(const subtask_info& info) override { return sink_->open(info); }
  void push(T& r) override {
    auto st = sink_->write(r);
    if (!st.ok()) throw operator_failure(std::move(st));
  }
  status close() override { return sink_->close(); }
  status prepare_checkpoint(uint64_t id) override { return sink_->pre_commit(id); }
  status checkpoint_complete(uint64_t id) override { return sink_->commit(id); }
  // A sink's snapshot is its pending transactions, as operator state entries.
  void snapshot(operator_snapshot& out) const override { sink_->pending(out.entries); }
  status restore(const std::vector<operator_snapshot>& previous,
                 const subtask_info& info) override {
    std::vector<std::string> entries;
    for (const auto& snap : previous) {
      if (!snap.key_groups.empty())
        return status(errc::invalid_argument, "snapshot of a sink holds keyed state");
      entries.insert(entries.end(), snap.entries.begin(), snap.entries.end());
    }
    return sink_->recover(entries, static_cast<uint32_t>(previous.size()), info);
  }

 private:
  std::unique_ptr<sink<T>> sink_;
};

template <class T>
class source_operator final : public source_instance {
 public:
  explicit source_operator(std::unique_ptr<source_reader<T>> r) : reader_(std::move(r)) {}
  void connect(void* next) override { next_ = static_cast<input_port<T>*>(next); }
  status open(const subtask_info& info) override { return reader_->open(info); }
  // A source's snapshot is its reader's positions, as operator state entries.
  void snapshot(operator_snapshot& out) const override { reader_->positions(out.entries); }
  // Hands the reader the positions of every earlier subtask; it takes its share.
  status restore(const std::vector<operator_snapshot>& previous,
                 const subtask_info& info) override {
    if (previous.empty()) return {};  // no earlier state: start from the beginning
    std::vector<std::string> entries;
    for (const auto& snap : previous) {
      if (!snap.key_groups.empty())
        return status(errc::invalid_argument, "snapshot of a source holds keyed state");
      entries.insert(entries.end(), snap.entries.begin(), snap.entries.end());
    }
    return reader_->restore(entries, info);
  }
  status poll(size_t max_records, uint64_t& emitted, bool& end) override {
    collector<T> out(next_);
    auto st = reader_->poll(max_records, out, end);
    emitted += out.emitted();
    return st;
  }
  status close() override { return reader_->close(); }

 private:
  std::unique_ptr<source_reader<T>> reader_;
  input_port<T>* next_ = nullptr;
};

}  // namespace nagare::detail
