// Exchange writers and readers: how records leave one task and enter another.
// A writer buckets records into one batch per downstream subtask and hands
// each full batch to the task; a reader unpacks arriving batches into the
// chain's head.
#pragma once

#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/detail/operator.hpp"
#include "nagare/hash.hpp"
#include "nagare/owned.hpp"

namespace nagare::detail {

// Route picks the channel of a record: uint32_t operator()(const T&).
template <class T, class Route>
class routing_writer final : public exchange_writer, public input_port<T> {
 public:
  routing_writer(const writer_config& cfg, Route route)
      : cfg_(cfg), route_(std::move(route)), open_(cfg.channels) {}

  void* input() override { return static_cast<input_port<T>*>(this); }

  void push(T& record) override { add(route_(record), record); }

  // One channel (a forward exchange, or a single downstream subtask): every
  // record goes to channel 0 whatever the route, so the records are moved
  // into the open batch in runs, without routing.
  void push_batch(T* records, size_t n) override {
    if (open_.size() != 1) {
      for (size_t i = 0; i < n; ++i) add(route_(records[i]), records[i]);
      return;
    }
    while (n > 0) {
      auto& b = batch(0);
      // At least one record per round, as push() takes (batch_records >= 1).
      size_t room =
          cfg_.batch_records > b.records.size() ? cfg_.batch_records - b.records.size() : 1;
      size_t take = n < room ? n : room;
      b.records.insert(b.records.end(), std::make_move_iterator(records),
                       std::make_move_iterator(records + take));
      records += take;
      n -= take;
      if (b.records.size() >= cfg_.batch_records) emit(0);
    }
  }

  void flush() override {
    for (uint32_t ch = 0; ch < open_.size(); ++ch)
      if (open_[ch] && !open_[ch]->records.empty())
        cfg_.emitter->emit(cfg_.first_channel + ch, std::move(open_[ch]));
  }

 private:
  void add(uint32_t ch, T& record) {
    auto& b = batch(ch);
    b.records.push_back(std::move(record));
    if (b.records.size() >= cfg_.batch_records) emit(ch);
  }
  // The open batch of channel `ch`, made if there is none.
  typed_batch<T>& batch(uint32_t ch) {
    auto& b = open_[ch];
    if (!b) {
      b = make_owned<typed_batch<T>>();
      b->records.reserve(cfg_.batch_records);
    }
    return *b;
  }
  void emit(uint32_t ch) { cfg_.emitter->emit(cfg_.first_channel + ch, std::move(open_[ch])); }

  writer_config cfg_;
  Route route_;
  std::vector<owned<typed_batch<T>>> open_;
};

// Key groups decide the channel: the subtask that owns the record's key.
template <class T, class KeyFn>
struct key_route {
  KeyFn key;
  uint32_t max_parallelism;
  uint32_t parallelism;
  uint32_t operator()(const T& r) const {
    using K = std::decay_t<decltype(key(r))>;
    auto kg = key_group_of(key_hash<K>{}(key(r)), max_parallelism);
    return subtask_of(kg, max_parallelism, parallelism);
  }
};

// Round-robin over the downstream subtasks, record by record.
struct rebalance_route {
  uint32_t next;
  uint32_t channels;
  template <class T>
  uint32_t operator()(const T&) {
    auto ch = next;
    next = next + 1 == channels ? 0 : next + 1;
    return ch;
  }
};

struct forward_route {
  template <class T>
  uint32_t operator()(const T&) const {
    return 0;
  }
};

template <class T>
class typed_reader final : public batch_reader {
 public:
  void connect(void* next) override { next_ = static_cast<input_port<T>*>(next); }
  size_t process(record_batch& batch) override {
    auto& records = static_cast<typed_batch<T>&>(batch).records;
    next_->push_batch(records.data(), records.size());
    return records.size();
  }
  result<owned<record_batch>> decode(const char* data, size_t size, uint32_t count) const override {
    return typed_batch<T>::decode(data, size, count);
  }

 private:
  input_port<T>* next_ = nullptr;
};

}  // namespace nagare::detail
