// The built-in operators: one class per kind, each an operator_instance with a
// typed input port. Operator objects hold the user's function; their mutable
// state lives in the state backends they own per subtask (keyed state:
// detail/keyed_state.hpp, operator state: detail/operator_state.hpp).
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/collector.hpp"
#include "nagare/detail/batch_buffer.hpp"
#include "nagare/detail/function_metrics.hpp"
#include "nagare/detail/keyed_operator.hpp"
#include "nagare/detail/keyed_state.hpp"
#include "nagare/detail/one_input_operator.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/detail/operator_state.hpp"
#include "nagare/detail/process_operator.hpp"
#include "nagare/detail/sink_metrics.hpp"
#include "nagare/detail/split_watermarks.hpp"
#include "nagare/owned.hpp"
#include "nagare/sink.hpp"
#include "nagare/source.hpp"
#include "nagare/state.hpp"
#include "nagare/watermark.hpp"

namespace nagare::detail {

// Stateless operators take batches whole (input_port::push_batch): their
// results go on a batch at a time, through a batch_buffer flushed before
// push_batch returns.

template <class In, class Out, class F>
class map_operator final : public one_input_operator<In, Out> {
 public:
  explicit map_operator(F f) : f_(std::move(f)) {}
  status open(const subtask_info& info) override {
    open_function_metrics(f_, info, metrics_);
    return {};
  }
  void connect(void* next) override {
    one_input_operator<In, Out>::connect(next);
    out_.connect(this->next_);
  }
  void push(In& r) override {
    Out out = f_(std::move(r));
    this->next_->push(out);
  }
  void push_batch(In* records, size_t n) override {
    for (size_t i = 0; i < n; ++i) out_.add(f_(std::move(records[i])));
    out_.flush();
  }

 private:
  F f_;
  batch_buffer<Out> out_;
  std::shared_ptr<metric_group> metrics_;
};

template <class T, class F>
class filter_operator final : public one_input_operator<T, T> {
 public:
  explicit filter_operator(F f) : f_(std::move(f)) {}
  status open(const subtask_info& info) override {
    open_function_metrics(f_, info, metrics_);
    return {};
  }
  void push(T& r) override {
    if (f_(static_cast<const T&>(r))) this->next_->push(r);
  }
  // Passes on each run of consecutive records that pass as one batch, in
  // place: nothing is moved or copied.
  void push_batch(T* records, size_t n) override {
    size_t run = 0;  // start of the current run of passing records
    for (size_t i = 0; i < n; ++i) {
      if (f_(static_cast<const T&>(records[i]))) continue;
      if (run < i) this->next_->push_batch(records + run, i - run);
      run = i + 1;
    }
    if (run < n) this->next_->push_batch(records + run, n - run);
  }

 private:
  F f_;
  std::shared_ptr<metric_group> metrics_;
};

template <class In, class Out, class F>
class flat_map_operator final : public one_input_operator<In, Out> {
 public:
  explicit flat_map_operator(F f) : f_(std::move(f)) {}
  status open(const subtask_info& info) override {
    open_function_metrics(f_, info, metrics_);
    return {};
  }
  void connect(void* next) override {
    one_input_operator<In, Out>::connect(next);
    out_.connect(this->next_);
  }
  void push(In& r) override {
    collector<Out> out(this->next_);
    f_(static_cast<const In&>(r), out);
  }
  void push_batch(In* records, size_t n) override {
    collector<Out> out(&out_, nullptr);
    for (size_t i = 0; i < n; ++i) f_(static_cast<const In&>(records[i]), out);
    out_.flush();
  }

 private:
  F f_;
  batch_buffer<Out> out_;
  std::shared_ptr<metric_group> metrics_;
};

// Rolling reduce: every record updates its key's value and emits the result.
template <class T, class KeyFn, class F>
class reduce_operator final : public keyed_operator<T, T, KeyFn, T> {
  using K = typename keyed_operator<T, T, KeyFn, T>::K;

 public:
  reduce_operator(KeyFn key, F f)
      : keyed_operator<T, T, KeyFn, T>(std::move(key)), f_(std::move(f)) {}
  void connect(void* next) override {
    keyed_operator<T, T, KeyFn, T>::connect(next);
    out_.connect(this->next_);
  }
  void push(T& r) override {
    K key;
    this->select(r, key, true);
    T out = reduce(r);
    this->next_->push(out);
  }
  // With the state on the heap (the memory backend) a record updates its
  // key's inline cell directly: value_ is that cell (the only state), and
  // the user's function sees no state.
  void push_batch(T* records, size_t n) override {
    if (this->keyed_.spills()) {
      this->for_each_keyed(records, n, [this](T& r, const K& key, uint64_t hash) {
        this->select_key(key, hash, true);
        out_.add(reduce(r));
      });
    } else {
      this->for_each_keyed(records, n, [this](T& r, const K& key, uint64_t hash) {
        auto& cell = this->keyed_.inline_cell(hash, key);
        if (cell.present) {
          cell.value = f_(static_cast<const T&>(cell.value), static_cast<const T&>(r));
        } else {
          cell.value = r;
          cell.present = true;
        }
        out_.add(T(cell.value));
      });
    }
    out_.flush();
  }

 private:
  // Folds `record` into the current key's value; returns the new value.
  T reduce(const T& record) {
    T* v = value_.get();
    if (v)
      *v = f_(static_cast<const T&>(*v), record);
    else
      v = &value_.set(record);
    return *v;
  }

  status declare(state_context& ctx) override {
    value_ = ctx.value<T>("reduce");
    return {};
  }
  F f_;
  value_state<T> value_;
  batch_buffer<T> out_;
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
    K key;
    this->select(r, key, true);
    add(r);
  }
  // With the state on the heap (the memory backend) a record updates its
  // key's inline cell directly: acc_ is that cell (the only state), and the
  // aggregator sees no state.
  void push_batch(T* records, size_t n) override {
    if (this->keyed_.spills()) {
      this->for_each_keyed(records, n, [this](T& r, const K& key, uint64_t hash) {
        this->select_key(key, hash, true);
        add(r);
      });
      return;
    }
    this->for_each_keyed(records, n, [this](T& r, const K& key, uint64_t hash) {
      auto& cell = this->keyed_.inline_cell(hash, key);
      if (!cell.present) {
        cell.value = agg_.create();
        cell.present = true;
      }
      agg_.add(cell.value, static_cast<const T&>(r));
    });
  }
  void finish() override {
    this->keyed_.for_each_key([this](const K& k) {
      Out out{k, agg_.result(*acc_.get())};
      this->next_->push(out);
    });
  }

 private:
  status declare(state_context& ctx) override {
    acc_ = ctx.value<Acc>("aggregate");
    return {};
  }
  // Adds `r` to the current key's accumulator.
  void add(const T& r) {
    Acc* acc = acc_.get();
    if (!acc) acc = &acc_.set(agg_.create());
    agg_.add(*acc, r);
  }
  Agg agg_;
  value_state<Acc> acc_;
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
  // Each successor gets the batch whole, one after the other (each in the
  // same order as per record; successors are separate branches, so how
  // their records interleave is not observable).
  void push_batch(T* records, size_t n) override {
    for (size_t i = 0; i + 1 < next_.size(); ++i) {
      copies_.clear();
      copies_.insert(copies_.end(), records, records + n);
      next_[i]->push_batch(copies_.data(), n);
    }
    next_.back()->push_batch(records, n);
  }

 private:
  std::vector<input_port<T>*> next_;
  std::vector<T> copies_;  // scratch of push_batch
};

template <class T>
class sink_operator final : public operator_instance, public input_port<T> {
 public:
  explicit sink_operator(owned<sink<T>> s) : sink_(std::move(s)) {}
  void* input() override { return static_cast<input_port<T>*>(this); }
  status open(const subtask_info& info) override {
    metrics_.open(info);
    return sink_->open(info);
  }
  void push(T& r) override {
    auto st = sink_->write(r);
    if (!st.ok()) throw_failure(std::move(st));
  }
  status close() override { return sink_->close(); }
  status prepare_checkpoint(uint64_t id) override {
    auto st = sink_->pre_commit(id);
    metrics_.sealed(st, pending_count());
    return st;
  }
  status checkpoint_complete(uint64_t id) override {
    auto started = std::chrono::steady_clock::now();
    auto st = sink_->commit(id);
    metrics_.committed(st, pending_count(), std::chrono::steady_clock::now() - started);
    return st;
  }
  // A sink's snapshot is its pending transactions, as operator state entries.
  void snapshot(operator_snapshot& out) const override { sink_->pending(entries_of(out)); }
  status restore(const std::vector<operator_snapshot>& previous,
                 const subtask_info& info) override {
    std::vector<std::string> entries;
    auto st = gather_entries(previous, "a sink", &entries);
    if (!st.ok()) return st;
    st = sink_->recover(entries, static_cast<uint32_t>(snapshot_count(previous)), info);
    metrics_.recovered(st, entries.size(), pending_count());
    return st;
  }

 private:
  // The sink's transactions sealed and not yet committed (once per checkpoint).
  size_t pending_count() {
    pending_.clear();
    sink_->pending(pending_);
    return pending_.size();
  }

  owned<sink<T>> sink_;
  sink_metrics metrics_;
  std::vector<std::string> pending_;  // scratch of pending_count()
};

// The head of a source chain: polls its reader and, with a watermark
// strategy, generates the subtask's watermark per split (see
// nagare/watermark.hpp; the task asks for it after every poll). Records of a
// source with a strategy pass a tap that raises their split's largest
// timestamp (one timestamp call and a comparison per record); a source
// without one pays nothing per record.
template <class T>
class source_operator final : public source_instance {
 public:
  explicit source_operator(owned<source_reader<T>> r, watermark_strategy<T> strategy = {})
      : reader_(std::move(r)), strategy_(std::move(strategy)) {}
  void connect(void* next) override { next_ = static_cast<input_port<T>*>(next); }
  status open(const subtask_info& info) override {
    ops_.reset();
    positions_ = ops_.declare<std::string>(positions_name, redistribution::union_all);
    maxima_ = ops_.declare<split_max>(watermarks_name, redistribution::union_all);
    // The reader's records go on a batch at a time, through the tap with a
    // strategy (split changes flush the buffer: the tap raises the split
    // they came from).
    if (strategy_.timestamps()) {
      tap_ = timestamp_tap(&strategy_.timestamps(), &splits_, next_);
      buffer_.connect(&tap_);
      out_ = make_owned<collector<T>>(&buffer_, &splits_);
    } else {
      buffer_.connect(next_);
      out_ = make_owned<collector<T>>(&buffer_, nullptr);
    }
    auto st = reader_->open(info);
    if (!st.ok()) return st;
    declare_splits({});
    return {};
  }
  // A source's snapshot is its reader's positions, as the elements of the
  // operator list state "positions" (the reader's own encoding inside), and
  // the largest timestamp of each split that has seen one, as (split name,
  // timestamp) elements of "watermarks".
  void snapshot(operator_snapshot& out) const override {
    std::vector<std::string> positions;
    reader_->positions(positions);
    operator_list<std::string>::write(positions_name, positions, entries_of(out));
    std::vector<split_max> maxima;
    splits_.state(maxima);
    operator_list<split_max>::write(watermarks_name, maxima, entries_of(out));
  }
  // Hands the reader the positions of every earlier subtask (union
  // redistribution); it takes its share. Its splits take their largest
  // timestamps back by name.
  status restore(const std::vector<operator_snapshot>& previous,
                 const subtask_info& info) override {
    if (previous.empty()) return {};  // no earlier state: start from the beginning
    auto st = gather_entries(previous, "a source", nullptr);
    if (!st.ok()) return st;
    st = ops_.restore(previous, info.subtask, info.parallelism);
    if (!st.ok()) return st;
    st = reader_->restore(positions_->items, info);
    positions_->clear();
    if (!st.ok()) return st;
    declare_splits(maxima_->items);
    maxima_->clear();
    return {};
  }
  status poll(size_t max_records, uint64_t& emitted, bool& end) override {
    auto before = out_->emitted();
    auto st = reader_->poll(max_records, *out_, end);
    buffer_.flush();  // the poll's records reach the chain before it returns
    emitted += out_->emitted() - before;
    if (strategy_.timestamps()) splits_.update(out_->emitted(), now_);
    return st;
  }
  // Hands the reader its new splits; each joins the watermark generator.
  void add_splits(std::vector<source_split> splits, bool no_more) override {
    std::vector<std::string> ids;
    ids.reserve(splits.size());
    for (const auto& s : splits) ids.push_back(s.id);
    reader_->add_splits(std::move(splits));
    splits_.add(ids);
    if (no_more) {
      reader_->no_more_splits();
      splits_.no_more_splits();
    }
  }
  // The reader seals and commits what it writes on the side (dead letters).
  status prepare_checkpoint(uint64_t id) override { return reader_->prepare_checkpoint(id); }
  status checkpoint_complete(uint64_t id) override { return reader_->checkpoint_complete(id); }
  void on_processing_time(int64_t now) override { now_ = now; }
  int64_t current_watermark() const override { return splits_.watermark(); }
  bool idle() const override { return splits_.idle(); }
  uint64_t dead_letters() const override { return reader_->dead_letters(); }
  status close() override { return reader_->close(); }

 private:
  using split_max = std::pair<std::string, int64_t>;  // split name, largest timestamp

  class timestamp_tap final : public input_port<T> {
   public:
    timestamp_tap() = default;
    timestamp_tap(const timestamp_fn<T>* ts, split_watermarks* splits, input_port<T>* next)
        : ts_(ts), splits_(splits), next_(next) {}
    void push(T& record) override {
      int64_t t = (*ts_)(static_cast<const T&>(record));
      int64_t& max = splits_->current_max();
      if (t > max) max = t;
      next_->push(record);
    }
    // A batch comes from one split (the collector flushes on split changes).
    void push_batch(T* records, size_t n) override {
      int64_t& max = splits_->current_max();
      for (size_t i = 0; i < n; ++i) {
        int64_t t = (*ts_)(static_cast<const T&>(records[i]));
        if (t > max) max = t;
      }
      next_->push_batch(records, n);
    }

   private:
    const timestamp_fn<T>* ts_ = nullptr;
    split_watermarks* splits_ = nullptr;
    input_port<T>* next_ = nullptr;
  };
  static constexpr const char* positions_name = "positions";
  static constexpr const char* watermarks_name = "watermarks";

  void declare_splits(const std::vector<split_max>& restored) {
    std::vector<std::string> ids;
    reader_->splits(ids);
    splits_.configure(strategy_.max_out_of_orderness(), strategy_.idleness());
    splits_.reset(ids, restored);
  }

  owned<source_reader<T>> reader_;
  watermark_strategy<T> strategy_;
  input_port<T>* next_ = nullptr;
  timestamp_tap tap_;
  batch_buffer<T> buffer_;   // the records of a poll, on their way to next_ (or tap_)
  owned<collector<T>> out_;  // lives across polls: it holds the current split
  split_watermarks splits_;
  int64_t now_ = 0;  // processing time, as the task last told it
  operator_state ops_;
  operator_list<std::string>* positions_ = nullptr;
  operator_list<split_max>* maxima_ = nullptr;
};

}  // namespace nagare::detail
