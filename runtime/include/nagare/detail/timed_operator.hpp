// The base of keyed operators with timers (the process function with timers,
// the window operators): a keyed operator plus a timer service, its event
// time (the last watermark) and its processing time.
//
// The current watermark is operator state: each subtask's snapshot holds it,
// with the key groups the subtask owned, as one element (watermark, first key
// group, end key group) of the union list "__watermark". A restore takes the
// minimum over the earlier subtasks that owned some of its key groups now
// (its own watermark when the parallelism is unchanged; min_timestamp when
// they kept none), so a restored subtask never assumes more event time than
// any subtask whose keys it now holds had seen. Processing time is not
// checkpointed.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/keyed_operator.hpp"
#include "nagare/detail/operator_state.hpp"
#include "nagare/detail/timer_service.hpp"
#include "nagare/state.hpp"
#include "nagare/time.hpp"

namespace nagare::detail {

// One element of "__watermark": a subtask's watermark and the key groups
// [first, last) it owned.
struct watermark_range {
  int64_t watermark = 0;
  uint32_t first = 0;
  uint32_t last = 0;
};

}  // namespace nagare::detail

namespace nagare {
template <>
struct codec<detail::watermark_range> {
  static void encode(const detail::watermark_range& x, std::string& out) {
    codec<int64_t>::encode(x.watermark, out);
    codec<uint32_t>::encode(x.first, out);
    codec<uint32_t>::encode(x.last, out);
  }
  static bool decode(byte_reader& in, detail::watermark_range& x) {
    return codec<int64_t>::decode(in, x.watermark) && codec<uint32_t>::decode(in, x.first) &&
           codec<uint32_t>::decode(in, x.last);
  }
};
}  // namespace nagare

namespace nagare::detail {

template <class T, class Out, class KeyFn, class Inline = void>
class timed_operator : public keyed_operator<T, Out, KeyFn, Inline>, public time_access {
  using base = keyed_operator<T, Out, KeyFn, Inline>;

 public:
  using K = typename base::K;

  // Declares the subclass's states (declare()), then the timers and the
  // watermark state.
  status open(const subtask_info& info) override {
    auto st = base::open(info);
    if (!st.ok()) return st;
    watermark_ = min_timestamp;
    now_ = min_timestamp;
    try {
      state_context ctx(&this->keyed_, &this->ops_, this->info_);
      timers_.open(ctx, this->keyed_, info.max_parallelism);
      watermarks_ =
          this->ops_.template declare<watermark_range>(watermark_state, redistribution::union_all);
    } catch (...) {
      return caught_exception(errc::user_error, info.task_name + ": open");
    }
    return {};
  }

  void snapshot(operator_snapshot& out) const override {
    base::snapshot(out);
    const auto range = this->keyed_.range();
    operator_list<watermark_range>::write(watermark_state, {{watermark_, range.first, range.last}},
                                          entries_of(out));
  }

  status restore(const std::vector<operator_snapshot>& previous,
                 const subtask_info& info) override {
    auto st = base::restore(previous, info);
    if (!st.ok()) return st;
    const auto mine = this->keyed_.range();
    bool any = false;
    watermark_ = max_timestamp;
    for (const auto& [wm, first, last] : watermarks_->items) {
      if (last <= mine.first || mine.last <= first) continue;  // none of my key groups
      if (wm < watermark_) watermark_ = wm;
      any = true;
    }
    if (!any) watermark_ = min_timestamp;
    watermarks_->clear();
    timers_.rebuild();
    return {};
  }

  // Fires the event-time timers up to `wm`, at most `max_timers` per call
  // (the event time is `wm` from the first call of the step on); a
  // watermark below the current one changes nothing.
  bool on_watermark(int64_t wm, size_t max_timers) override {
    if (wm < watermark_) return true;
    watermark_ = wm;
    return timers_.advance(
        time_domain::event_time, wm,
        [this](const K& key, uint64_t hash, int64_t t) {
          fire(time_domain::event_time, t, key, hash);
        },
        max_timers);
  }

  void on_processing_time(int64_t now) override {
    if (now > now_) now_ = now;
    timers_.advance(time_domain::processing_time, now_,
                    [this](const K& key, uint64_t hash, int64_t t) {
                      fire(time_domain::processing_time, t, key, hash);
                    });
  }

  bool wants_processing_time() const override {
    return !timers_.empty(time_domain::processing_time);
  }

  // The input ended: every processing-time timer pending now fires, in time
  // order, with the processing time advanced to each timer's time (timers
  // they register beyond the latest pending one do not fire).
  void finish() override {
    auto bound = timers_.latest(time_domain::processing_time);
    timers_.advance(time_domain::processing_time, bound,
                    [this](const K& key, uint64_t hash, int64_t t) {
                      if (t > now_) now_ = t;
                      fire(time_domain::processing_time, t, key, hash);
                    });
  }

  // time_access, for the current key.
  int64_t current_watermark() const override { return watermark_; }
  int64_t current_processing_time() const override {
    if (now_ != min_timestamp) return now_;
    return wall_clock_ms();
  }
  void register_timer(time_domain d, int64_t time) override {
    timers_.add(d, time, *this->current_key_, this->current_hash_);
  }
  void delete_timer(time_domain d, int64_t time) override {
    timers_.remove(d, time, *this->current_key_, this->current_hash_);
  }

 protected:
  using base::base;
  // Timer (d, time) of `key` fired; `key` is current.
  virtual void on_timer(time_domain d, int64_t time, const K& key) = 0;

  timer_service<K, keyed_state<K, Inline>> timers_;
  int64_t watermark_ = min_timestamp;

 private:
  static constexpr const char* watermark_state = "__watermark";
  void fire(time_domain d, int64_t t, const K& key, uint64_t hash) {
    this->current_key_ = &key;
    this->current_hash_ = hash;
    on_timer(d, t, key);
  }

  // (watermark, first key group, end key group) of a subtask.
  operator_list<watermark_range>* watermarks_ = nullptr;
  int64_t now_ = min_timestamp;  // min_timestamp: no on_processing_time yet (the clock)
};

}  // namespace nagare::detail
