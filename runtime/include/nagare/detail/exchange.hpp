// Exchange writers and readers: how records leave one task and enter another.
// A writer buckets records into one batch per downstream subtask and hands
// each full batch to the task; a reader unpacks arriving batches into the
// chain's head.
#pragma once

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

  void push(T& record) override {
    auto ch = route_(record);
    auto& b = open_[ch];
    if (!b) {
      b = make_owned<typed_batch<T>>();
      b->records.reserve(cfg_.batch_records);
    }
    b->records.push_back(std::move(record));
    if (b->records.size() >= cfg_.batch_records)
      cfg_.emitter->emit(cfg_.first_channel + ch, std::move(b));
  }

  void flush() override {
    for (uint32_t ch = 0; ch < open_.size(); ++ch)
      if (open_[ch] && !open_[ch]->records.empty())
        cfg_.emitter->emit(cfg_.first_channel + ch, std::move(open_[ch]));
  }

 private:
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
    for (auto& r : records) next_->push(r);
    return records.size();
  }
  result<owned<record_batch>> decode(const char* data, size_t size, uint32_t count) const override {
    return typed_batch<T>::decode(data, size, count);
  }

 private:
  input_port<T>* next_ = nullptr;
};

}  // namespace nagare::detail
