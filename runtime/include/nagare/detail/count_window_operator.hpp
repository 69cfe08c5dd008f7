// The operator of count windows (nagare/window_assigner.hpp): per key, the
// next n records in arrival order. Its keyed state "count_window" holds, per
// key, the records seen of the open window, their smallest and largest
// timestamp and the Contents' accumulator; the n-th record fires the window
// (start and end: the smallest and largest timestamp) and empties it. An
// incomplete window never fires, not even at end of input, and no record is
// ever late: the operator has no timers and ignores watermarks.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "nagare/codec.hpp"
#include "nagare/detail/keyed_operator.hpp"
#include "nagare/detail/window_contents.hpp"
#include "nagare/detail/window_output.hpp"
#include "nagare/time.hpp"
#include "nagare/window_assigner.hpp"
#include "nagare/window_result.hpp"

namespace nagare::detail {

// A key's open count window.
template <class Acc>
struct count_slot {
  uint64_t count = 0;
  int64_t min = 0;  // smallest and largest timestamp of its records
  int64_t max = 0;
  Acc acc{};
};

}  // namespace nagare::detail

namespace nagare {

namespace detail {
template <class Acc>
struct structural<count_slot<Acc>> : std::true_type {};
}  // namespace detail

template <class Acc>
struct codec<detail::count_slot<Acc>> {
  static void encode(const detail::count_slot<Acc>& x, std::string& out) {
    write_varint(out, x.count);
    codec<int64_t>::encode(x.min, out);
    codec<int64_t>::encode(x.max, out);
    codec<Acc>::encode(x.acc, out);
  }
  static bool decode(byte_reader& in, detail::count_slot<Acc>& x) {
    return in.read_varint(x.count) && codec<int64_t>::decode(in, x.min) &&
           codec<int64_t>::decode(in, x.max) && codec<Acc>::decode(in, x.acc);
  }
};

}  // namespace nagare

namespace nagare::detail {

template <class T, class KeyFn, class Contents>
class count_window_operator final
    : public keyed_operator<T, window_output<key_of_t<KeyFn, T>, typename Contents::result_type, T>,
                            KeyFn, count_slot<typename Contents::accumulator>> {
  using K = key_of_t<KeyFn, T>;
  using R = typename Contents::result_type;
  using Out = window_output<K, R, T>;
  using slot = count_slot<typename Contents::accumulator>;
  using base = keyed_operator<T, Out, KeyFn, slot>;

 public:
  using output_type = Out;
  // `timestamps`: the stream's event time, for the windows' bounds (null:
  // min_timestamp).
  count_window_operator(KeyFn key, count_window_assigner assigner, Contents contents,
                        timestamps_of<T> timestamps)
      : base(std::move(key)),
        size_(assigner.size),
        contents_(std::move(contents)),
        timestamps_(std::move(timestamps)) {}

  void push(T& r) override {
    K key;
    this->select(r, key, true);
    add(r, key);
  }
  void push_batch(T* records, size_t n) override {
    this->for_each_keyed(records, n, [this](T& r, const K& key, uint64_t hash) {
      this->select_key(key, hash, true);
      add(r, key);
    });
  }

 private:
  // Adds `record` to the current key's window (key `key`); fires it when full.
  void add(const T& record, const K& key) {
    const int64_t ts = timestamps_ ? timestamps_(record) : min_timestamp;
    slot* s = window_.get();
    if (!s) s = &window_.set(slot{0, ts, ts, contents_.create()});
    contents_.add(s->acc, record);
    if (ts < s->min) s->min = ts;
    if (ts > s->max) s->max = ts;
    if (++s->count < size_) return;
    const time_window w{s->min, s->max};
    auto emit = [&](R& value) {
      Out out = Out::of_result(window_result<K, R>{key, w.start, w.end, std::move(value)});
      this->next_->push(out);
    };
    contents_.fire(key, w, s->acc, emit);
    window_.clear();
  }

  status declare(state_context& ctx) override {
    window_ = ctx.value<slot>("count_window");
    return {};
  }

  uint64_t size_;
  Contents contents_;
  timestamps_of<T> timestamps_;
  value_state<slot> window_;
};

}  // namespace nagare::detail
