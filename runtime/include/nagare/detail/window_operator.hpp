// The operator of time windows (tumbling, sliding) and session windows, in
// event time or processing time (see nagare/window_assigner.hpp for which
// windows a record belongs to, nagare/window.hpp for the API).
//
// State, all of it keyed state of the operator (so it is checkpointed,
// restored, rescaled and spilled with its key):
//  - "windows": the key's live windows, each with its contents (the
//    Contents' accumulator), sorted by start; for sessions they are disjoint
//    and do not touch. Stored inline in the key's entry: one probe per record.
//  - "__timers" (detail/timer_service.hpp): per live window a timer at its
//    largest timestamp max (to fire it) and one at its cleanup time (to drop
//    it); a key keeps one timer per time.
// plus the current watermark as operator state (detail/timed_operator.hpp).
//
// Semantics (L = allowed lateness; cleanup time = max + L, saturating, in
// event time, and end = max + 1 in processing time):
//  - a record goes to each of its windows whose cleanup time is above the
//    watermark W (in processing time: to each of its windows); a record that
//    goes to no window is late and leaves on the late side output (in
//    processing time that happens only between windows whose slide exceeds
//    their size); so is a record with a window that cannot be represented
//    (it would start before min_timestamp or end after max_timestamp);
//    late_records() counts them all, in operator state "late records";
//  - an event-time window fires when W >= max and is dropped when W >=
//    cleanup time; a record added to a window with max <= W (it fired
//    already) fires it again at once, with its whole contents;
//  - a processing-time window fires and is dropped once the processing time
//    has passed its max (reached its end), or when the input ends
//    (finish()); so a record, which arrives at a processing time P within
//    its windows, never finds one of them fired;
//  - session windows merge as they come to overlap or touch: their contents
//    merge (Contents::merge) and their timers move to the merged window.
// Windows of a key that fire together fire in start order.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/record_count.hpp"
#include "nagare/detail/timed_operator.hpp"
#include "nagare/detail/window_contents.hpp"
#include "nagare/detail/window_output.hpp"
#include "nagare/time.hpp"
#include "nagare/window_assigner.hpp"
#include "nagare/window_result.hpp"

namespace nagare::detail {

inline int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? max_timestamp : min_timestamp;
  return r;
}
inline int64_t saturating_sub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? min_timestamp : max_timestamp;
  return r;
}
inline int64_t floor_mod(int64_t a, int64_t b) {
  auto m = a % b;
  return m < 0 ? m + b : m;
}

// Whether every window of a record at `ts` can be represented: windows of
// `size` starting at the multiples of `slide` in (ts - size, ts], each
// starting at or after min_timestamp and ending (start + size) at or before
// max_timestamp. A record between windows (slide > size) has none, so fits.
inline bool windows_fit(int64_t ts, int64_t size, int64_t slide) {
  const int64_t m = floor_mod(ts, slide);
  if (m >= size) return true;
  int64_t last = 0, end = 0, back = 0, first = 0;
  return !__builtin_sub_overflow(ts, m, &last) && !__builtin_add_overflow(last, size, &end) &&
         !__builtin_mul_overflow((size - 1 - m) / slide, slide, &back) &&
         !__builtin_sub_overflow(last, back, &first);
}

// One live window of a key and its contents.
template <class Acc>
struct window_slot {
  int64_t start = 0;
  int64_t end = 0;
  Acc acc{};
};

}  // namespace nagare::detail

namespace nagare {

namespace detail {
template <class Acc>
struct structural<window_slot<Acc>> : std::true_type {};
}  // namespace detail

template <class Acc>
struct codec<detail::window_slot<Acc>> {
  static void encode(const detail::window_slot<Acc>& x, std::string& out) {
    codec<int64_t>::encode(x.start, out);
    codec<int64_t>::encode(x.end, out);
    codec<Acc>::encode(x.acc, out);
  }
  static bool decode(byte_reader& in, detail::window_slot<Acc>& x) {
    return codec<int64_t>::decode(in, x.start) && codec<int64_t>::decode(in, x.end) &&
           codec<Acc>::decode(in, x.acc);
  }
};

}  // namespace nagare

namespace nagare::detail {

template <class T, class KeyFn, class Contents>
struct window_types {
  using K = key_of_t<KeyFn, T>;
  using acc = typename Contents::accumulator;
  using result = typename Contents::result_type;
  using output = window_output<K, result, T>;
  using slots = std::vector<window_slot<acc>>;
};

// Assigner: sliding_window_assigner or session_window_assigner.
template <class T, class KeyFn, class Assigner, class Contents>
class window_operator final
    : public timed_operator<T, typename window_types<T, KeyFn, Contents>::output, KeyFn,
                            typename window_types<T, KeyFn, Contents>::slots> {
  using types = window_types<T, KeyFn, Contents>;
  using K = typename types::K;
  using R = typename types::result;
  using Out = typename types::output;
  using slots = typename types::slots;
  using slot = window_slot<typename types::acc>;
  using base = timed_operator<T, Out, KeyFn, slots>;
  static constexpr bool merging = std::is_same_v<Assigner, session_window_assigner>;

 public:
  using output_type = Out;
  // `timestamps`: the stream's event time (required for event-time windows;
  // null gives min_timestamp). `lateness` >= 0 (event time only).
  window_operator(KeyFn key, Assigner assigner, int64_t lateness, Contents contents,
                  timestamps_of<T> timestamps)
      : base(std::move(key)),
        assigner_(assigner),
        event_(assigner.domain == time_domain::event_time),
        lateness_(event_ ? lateness : 0),
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

  uint64_t late_records() const override { return late_.total(); }

 private:
  // Adds `r`, whose key `key` is current (with an entry), to its windows or
  // sends it to the late output.
  void add(T& r, const K& key) {
    const T& record = r;
    int64_t ts = event_ ? (timestamps_ ? timestamps_(record) : min_timestamp)
                        : this->current_processing_time();
    bool added = false;
    if constexpr (merging)
      added = fits(ts) && add_to_session(record, ts, key);
    else
      added = fits(ts) && add_to_windows(record, ts, key);
    if (added) return;
    if (!windows_.get()) windows_.clear();  // drops the entry select() made
    late_.add();
    Out late = Out::of_late(std::move(r));
    this->next_->push(late);
  }

  status declare(state_context& ctx) override {
    windows_ = ctx.value<slots>("windows");
    late_.declare(ctx, "late records");
    return {};
  }

  // Whether the record's windows can be represented (a record whose windows
  // would end after max_timestamp or start before min_timestamp goes to the
  // late output instead). Two comparisons unless ts is within a window of the
  // limits.
  bool fits(int64_t ts) const {
    if constexpr (merging) {
      return ts <= max_timestamp - assigner_.gap;
    } else {
      if (ts >= min_timestamp + assigner_.size && ts <= max_timestamp - assigner_.size) return true;
      return windows_fit(ts, assigner_.size, assigner_.slide);
    }
  }

  // When a window with largest timestamp `max` fires: in event time when W
  // reaches max, in processing time once the clock has passed max.
  int64_t fire_time(int64_t max) const { return event_ ? max : max + 1; }
  int64_t cleanup_time(int64_t max) const {
    return event_ ? saturating_add(max, lateness_) : max + 1;
  }
  time_domain domain() const {
    return event_ ? time_domain::event_time : time_domain::processing_time;
  }

  // Adds the record to its tumbling or sliding windows; false: to none (late).
  bool add_to_windows(const T& record, int64_t ts, const K& key) {
    const int64_t size = assigner_.size, slide = assigner_.slide, wm = this->watermark_;
    // Starts are the multiples of slide in (ts - size, ts]: from `first` to `last`.
    const int64_t last = saturating_sub(ts, floor_mod(ts, slide));
    const int64_t lower = saturating_sub(ts, size);
    if (last <= lower) return false;  // between windows (slide > size)
    const uint64_t steps = (static_cast<uint64_t>(last) - static_cast<uint64_t>(lower) - 1) /
                           static_cast<uint64_t>(slide);
    const int64_t first =
        static_cast<int64_t>(static_cast<uint64_t>(last) - steps * static_cast<uint64_t>(slide));
    bool any = false;
    size_t pos = 0;
    for (int64_t start = first;; start += slide) {
      const int64_t end = saturating_add(start, size), max = end - 1, cleanup = cleanup_time(max);
      if (!event_ || cleanup > wm) {
        any = true;
        slots* list = windows_.get();
        if (!list) list = &windows_.set({});
        while (pos < list->size() && (*list)[pos].start < start) ++pos;
        bool fresh = pos == list->size() || (*list)[pos].start != start;
        if (fresh) list->insert(list->begin() + pos, slot{start, end, contents_.create()});
        contents_.add((*list)[pos].acc, record);
        if (fresh) add_timers(max, cleanup, key);
        if (event_ && max <= wm) fire(key, pos);
        ++pos;
      }
      if (start >= last) break;
    }
    return any;
  }

  // Adds the record's session [ts, ts + gap) to the key's sessions, merging
  // those it overlaps or touches; false: it is late.
  bool add_to_session(const T& record, int64_t ts, const K& key) {
    const int64_t start = ts, end = saturating_add(ts, assigner_.gap), wm = this->watermark_;
    slots* list = windows_.get();
    const size_t n = list ? list->size() : 0;
    size_t i = 0;
    while (i < n && (*list)[i].end < start) ++i;
    size_t j = i;
    while (j < n && (*list)[j].start <= end) ++j;
    if (i == j) {  // a new session
      const int64_t max = end - 1, cleanup = cleanup_time(max);
      if (event_ && cleanup <= wm) return false;
      if (!list) list = &windows_.set({});
      list->insert(list->begin() + i, slot{start, end, contents_.create()});
      contents_.add((*list)[i].acc, record);
      add_timers(max, cleanup, key);
      if (event_ && max <= wm) fire(key, i);
      return true;
    }
    // Merges sessions [i, j) and the record's into session i. Live sessions
    // are never late (their cleanup time is above W), so neither is this one.
    old_times_.clear();
    for (size_t k = i; k < j; ++k) timer_times((*list)[k], old_times_);
    auto& merged = (*list)[i];
    if (start < merged.start) merged.start = start;
    merged.end = end > (*list)[j - 1].end ? end : (*list)[j - 1].end;
    for (size_t k = i + 1; k < j; ++k) contents_.merge(merged.acc, (*list)[k].acc);
    list->erase(list->begin() + static_cast<std::ptrdiff_t>(i + 1),
                list->begin() + static_cast<std::ptrdiff_t>(j));
    contents_.add((*list)[i].acc, record);
    const int64_t max = (*list)[i].end - 1, cleanup = cleanup_time(max);
    // Times no live window needs any more (decided before writing timers:
    // state pointers are valid until the next write).
    erase_if(old_times_, [&](int64_t t) { return needed(*list, t); });
    for (auto t : old_times_) this->timers_.remove(domain(), t, key, this->current_hash_);
    add_timers(max, cleanup, key);
    if (event_ && max <= wm) fire(key, i);
    return true;
  }

  // The timers a live window needs: its max unless it fired already, and its
  // cleanup time.
  void timer_times(const slot& s, std::vector<int64_t>& out) const {
    const int64_t max = s.end - 1;
    if (!event_ || max > this->watermark_) out.push_back(fire_time(max));
    if (event_) out.push_back(cleanup_time(max));
  }
  bool needed(const slots& list, int64_t t) const {
    for (const auto& s : list) {
      const int64_t max = s.end - 1;
      if ((fire_time(max) == t && (!event_ || max > this->watermark_)) || cleanup_time(max) == t)
        return true;
    }
    return false;
  }
  void add_timers(int64_t max, int64_t cleanup, const K& key) {
    const auto hash = this->current_hash_;
    if (!event_) {
      this->timers_.add(time_domain::processing_time, fire_time(max), key, hash);
      return;
    }
    if (max > this->watermark_) this->timers_.add(time_domain::event_time, max, key, hash);
    if (cleanup != max) this->timers_.add(time_domain::event_time, cleanup, key, hash);
  }

  // Emits the result(s) of the key's window at `pos`.
  void fire(const K& key, size_t pos) {
    const auto& s = (*windows_.get())[pos];
    const time_window w{s.start, s.end};
    auto emit = [&](R& value) {
      Out out = Out::of_result(window_result<K, R>{key, w.start, w.end, std::move(value)});
      this->next_->push(out);
    };
    contents_.fire(key, w, s.acc, emit);
  }

  // Timer `t` of `key` fired: fires the windows whose fire time it is, then
  // drops the windows whose cleanup time it reached.
  void on_timer(time_domain, int64_t t, const K& key) override {
    slots* list = windows_.get();
    if (!list) return;
    for (size_t i = 0; i < list->size(); ++i)
      if (fire_time((*list)[i].end - 1) == t) fire(key, i);
    erase_if(*list, [&](const slot& s) { return cleanup_time(s.end - 1) <= t; });
    if (list->empty()) windows_.clear();
  }

  // Removes the elements of `v` for which pred is true, keeping the order.
  template <class V, class Pred>
  static void erase_if(V& v, Pred pred) {
    size_t kept = 0;
    for (size_t i = 0; i < v.size(); ++i)
      if (!pred(v[i])) {
        if (kept != i) v[kept] = std::move(v[i]);
        ++kept;
      }
    v.resize(kept);
  }

  Assigner assigner_;
  record_count late_;
  bool event_;
  int64_t lateness_;
  Contents contents_;
  timestamps_of<T> timestamps_;
  value_state<slots> windows_;
  std::vector<int64_t> old_times_;  // scratch of add_to_session
};

}  // namespace nagare::detail
