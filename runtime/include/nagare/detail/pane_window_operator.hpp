// Tumbling and sliding windows aggregated by panes: the operator that
// window.hpp picks for time windows whose contents merge (aggregate() with
// an aggregator that has merge(), and reduce()). It has exactly the
// semantics of window_operator (detail/window_operator.hpp) and differs only
// in what it keeps: instead of an accumulator per window it keeps one per
// pane, the gcd of size and slide, so a record updates one accumulator, not
// size / slide of them, and a window's result is the merge of its panes when
// it fires.
//
// State (keyed): "panes", a key's panes that a live window still covers,
// with their accumulators, sorted by start (inline in the key's entry); and
// the timers: per window that has a pane, one at its max (to fire it) and one
// at its cleanup time (after which the panes only it covered are dropped).
//
// Why panes give the same results: a record goes to its pane when at least
// one of its windows is live (cleanup time above the watermark W); a window
// whose cleanup time has passed never emits again, so its panes' extra
// records cannot show. And a window that emits (fires at max or re-fires on a
// record) is live, so it was live at every earlier record of its panes, each
// of which it would have taken. Panes are dropped once no live window covers
// them; a pane that a live window covers is never dropped.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/detail/gcd.hpp"
#include "nagare/detail/timed_operator.hpp"
#include "nagare/detail/window_contents.hpp"
#include "nagare/detail/window_operator.hpp"
#include "nagare/detail/window_output.hpp"
#include "nagare/time.hpp"
#include "nagare/window_assigner.hpp"
#include "nagare/window_result.hpp"

namespace nagare::detail {

// Contents: aggregate_contents over an aggregator with merge().
template <class T, class KeyFn, class Contents>
class pane_window_operator final
    : public timed_operator<T, typename window_types<T, KeyFn, Contents>::output, KeyFn,
                            typename window_types<T, KeyFn, Contents>::slots> {
  using types = window_types<T, KeyFn, Contents>;
  using K = typename types::K;
  using R = typename types::result;
  using Out = typename types::output;
  using Acc = typename types::acc;
  using slots = typename types::slots;
  using slot = window_slot<Acc>;
  using base = timed_operator<T, Out, KeyFn, slots>;

 public:
  using output_type = Out;
  // As window_operator's.
  pane_window_operator(KeyFn key, sliding_window_assigner assigner, int64_t lateness,
                       Contents contents, timestamps_of<T> timestamps)
      : base(std::move(key)),
        size_(assigner.size),
        slide_(assigner.slide),
        pane_(static_cast<int64_t>(
            gcd(static_cast<uint64_t>(assigner.size), static_cast<uint64_t>(assigner.slide)))),
        gaps_(assigner.slide > assigner.size),
        event_(assigner.domain == time_domain::event_time),
        lateness_(event_ ? lateness : 0),
        contents_(std::move(contents)),
        timestamps_(std::move(timestamps)) {}

  void push(T& r) override {
    const int64_t ts = timestamp_of(r);
    if (divert_late(r, ts)) return;
    K key;
    this->select(r, key, true);
    add(r, ts, key);
  }
  // A late record's key is computed (ahead, to prefetch) but not selected,
  // as in push().
  void push_batch(T* records, size_t n) override {
    this->for_each_keyed(records, n, [this](T& r, const K& key, uint64_t hash) {
      const int64_t ts = timestamp_of(r);
      if (divert_late(r, ts)) return;
      this->select_key(key, hash, true);
      add(r, ts, key);
    });
  }

  uint64_t late_records() const override { return late_.total(); }

 private:
  int64_t timestamp_of(const T& record) {
    return event_ ? (timestamps_ ? timestamps_(record) : min_timestamp)
                  : this->current_processing_time();
  }
  // Sends `r` (at `ts`) to the late output if it goes to no window; returns
  // whether it did.
  bool divert_late(T& r, int64_t ts) {
    const int64_t wm = this->watermark_;
    // Every window of the record has max >= ts: with ts above the watermark
    // none of them fired or is gone (the common case: no more arithmetic).
    const bool behind = event_ && ts <= wm;
    // The record's windows start at the multiples of slide in (ts - size, ts];
    // the last one lives longest.
    if (((gaps_ || behind) && record_is_late(ts, wm)) || !fits(ts)) {
      late_.add();
      Out late = Out::of_late(std::move(r));
      this->next_->push(late);
      return true;
    }
    return false;
  }
  // Adds `record` (at `ts`, not late) to its pane; its key `key` is current.
  void add(const T& record, int64_t ts, const K& key) {
    const int64_t wm = this->watermark_;
    const bool behind = event_ && ts <= wm;
    const int64_t pane_start = align(ts, pane_);
    slots* list = panes_.get();
    if (!list) list = &panes_.set({});
    // New panes mostly come last.
    size_t pos = list->size();
    while (pos > 0 && (*list)[pos - 1].start > pane_start) --pos;
    if (pos > 0 && (*list)[pos - 1].start == pane_start) {
      contents_.add((*list)[pos - 1].acc, record);
    } else {
      list->insert(list->begin() + static_cast<std::ptrdiff_t>(pos),
                   slot{pane_start, saturating_add(pane_start, pane_), contents_.create()});
      contents_.add((*list)[pos].acc, record);
      // Windows that cover a neighbouring pane have their timers already.
      const int64_t after = pos > 0 ? (*list)[pos - 1].start : min_timestamp;
      const int64_t before = pos + 1 < list->size() ? (*list)[pos + 1].start : max_timestamp;
      add_timers(pane_start, after, before, key);
    }
    if (behind) refire(key, ts, wm);
  }

  // Whether the record at `ts` goes to no window: it falls between windows,
  // or all its windows are gone.
  bool record_is_late(int64_t ts, int64_t wm) const {
    const int64_t last = align(ts, slide_);
    return saturating_add(last, size_) <= ts || (event_ && cleanup_time(max_of(last)) <= wm);
  }
  // The windows of a record at `ts` that fired already (max <= W) but live
  // (cleanup time above W) fire again at once.
  void refire(const K& key, int64_t ts, int64_t wm) {
    const int64_t last = align(ts, slide_);
    for (int64_t start = first_start(ts);; start += slide_) {
      const int64_t max = max_of(start);
      if (max > wm) break;
      if (cleanup_time(max) > wm) fire(key, start);
      if (start >= last) break;
    }
  }

  status declare(state_context& ctx) override {
    panes_ = ctx.value<slots>("panes");
    late_.declare(ctx, "late records");
    return {};
  }
  // As window_operator::fits.
  bool fits(int64_t ts) const {
    if (ts >= min_timestamp + size_ && ts <= max_timestamp - size_) return true;
    return windows_fit(ts, size_, slide_);
  }

  // The largest multiple of `step` <= t (saturating).
  static int64_t align(int64_t t, int64_t step) { return saturating_sub(t, floor_mod(t, step)); }
  int64_t max_of(int64_t start) const { return saturating_add(start, size_) - 1; }
  // As in window_operator: event time fires at max, processing time at end.
  int64_t fire_time(int64_t max) const { return event_ ? max : max + 1; }
  int64_t cleanup_time(int64_t max) const {
    return event_ ? saturating_add(max, lateness_) : max + 1;
  }
  // The smallest multiple of slide in (t - size, t].
  int64_t first_start(int64_t t) const {
    const int64_t last = align(t, slide_), lower = saturating_sub(t, size_);
    if (last <= lower) return last;
    uint64_t steps = (static_cast<uint64_t>(last) - static_cast<uint64_t>(lower) - 1) /
                     static_cast<uint64_t>(slide_);
    return static_cast<int64_t>(static_cast<uint64_t>(last) -
                                steps * static_cast<uint64_t>(slide_));
  }

  // A new pane starting at `pane_start`, between the key's panes starting at
  // `after` and `before`: the timers of the live windows that cover it and
  // neither neighbour. (A window that covers a neighbour got its timers with
  // that pane: it was live then, as it is now.)
  void add_timers(int64_t pane_start, int64_t after, int64_t before, const K& key) {
    const int64_t wm = this->watermark_;
    const int64_t last = align(pane_start, slide_);
    for (int64_t start = first_start(pane_start);; start += slide_) {
      const int64_t max = max_of(start), cleanup = cleanup_time(max);
      if (start <= after) {
        // covers the pane before
      } else if (max >= before) {
        break;  // this window and the later ones cover the pane after
      } else if (!event_) {
        this->timers_.add(time_domain::processing_time, fire_time(max), key, this->current_hash_);
      } else if (cleanup > wm) {
        if (max > wm) this->timers_.add(time_domain::event_time, max, key, this->current_hash_);
        if (cleanup != max)
          this->timers_.add(time_domain::event_time, cleanup, key, this->current_hash_);
      }
      if (start >= last) break;
    }
  }

  // Emits the result of the key's window starting at `start`: the merge of
  // its panes.
  void fire(const K& key, int64_t start) {
    const slots* list = panes_.get();
    if (!list) return;
    const int64_t end = saturating_add(start, size_);
    Acc acc = contents_.create();
    bool any = false;
    for (const auto& p : *list) {
      if (p.start < start) continue;
      if (p.start >= end) break;
      contents_.merge(acc, p.acc);
      any = true;
    }
    if (!any) return;
    const time_window w{start, end};
    auto emit = [&](R& value) {
      Out out = Out::of_result(window_result<K, R>{key, w.start, w.end, std::move(value)});
      this->next_->push(out);
    };
    contents_.fire(key, w, acc, emit);
  }

  // Timer `t` of `key` fired: fires the window whose fire time it is, then
  // drops the panes that no live window covers any more.
  void on_timer(time_domain, int64_t t, const K& key) override {
    const int64_t max = event_ ? t : t - 1;
    if (max != max_timestamp) {  // max_timestamp is no window's max (end saturates there)
      const int64_t start = max + 1 - size_;
      if (floor_mod(start, slide_) == 0 && max_of(start) == max) fire(key, start);
    }
    slots* list = panes_.get();
    if (!list) return;
    // A pane is live while the last window that covers it is.
    size_t dead = 0;
    while (dead < list->size() && cleanup_time(max_of(align((*list)[dead].start, slide_))) <= t)
      ++dead;
    list->erase(list->begin(), list->begin() + static_cast<std::ptrdiff_t>(dead));
    if (list->empty()) panes_.clear();
  }

  int64_t size_, slide_, pane_;
  bool gaps_;  // slide > size: some times are in no window
  bool event_;
  int64_t lateness_;
  record_count late_;
  Contents contents_;
  timestamps_of<T> timestamps_;
  value_state<slots> panes_;
};

// The operator of tumbling and sliding windows with Contents: panes when the
// contents merge, an accumulator per window otherwise.
template <class T, class KeyFn, class Contents>
struct time_window_operator {
  using type = window_operator<T, KeyFn, sliding_window_assigner, Contents>;
};
template <class T, class KeyFn, class Agg>
struct time_window_operator<T, KeyFn, aggregate_contents<T, Agg>> {
  using type = std::conditional_t<
      has_merge<Agg>::value, pane_window_operator<T, KeyFn, aggregate_contents<T, Agg>>,
      window_operator<T, KeyFn, sliding_window_assigner, aggregate_contents<T, Agg>>>;
};
template <class T, class KeyFn, class Contents>
using time_window_operator_t = typename time_window_operator<T, KeyFn, Contents>::type;

}  // namespace nagare::detail
