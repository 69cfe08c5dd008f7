// The timers of a keyed operator. Each key's timers are keyed state of the
// operator: a value state "__timers" holding the key's (domain, time) pairs,
// sorted, each at most once. So timers are snapshotted, restored, rescaled
// and (with a backend that spills keyed state) spilled with their key, and
// nothing per key lives outside keyed state. The time-ordered index over all
// keys (detail/timer_index.hpp) is derived from them and rebuilt after a
// restore by visiting the restored keys.
//
// Not thread-safe: owned by one operator instance, used from its task's
// thread. Functions that name a key expect it to be the backend's current key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/detail/one_input_operator.hpp"
#include "nagare/detail/timer_index.hpp"
#include "nagare/hash.hpp"
#include "nagare/owned.hpp"
#include "nagare/state.hpp"
#include "nagare/status.hpp"
#include "nagare/time.hpp"

namespace nagare::detail {

// One timer of a key.
struct timer_entry {
  time_domain domain = time_domain::event_time;
  int64_t time = 0;

  bool operator<(const timer_entry& o) const {
    return domain != o.domain ? domain < o.domain : time < o.time;
  }
  bool operator==(const timer_entry& o) const { return domain == o.domain && time == o.time; }
};

}  // namespace nagare::detail

namespace nagare {

// A timer as one byte (the domain) and the time.
template <>
struct codec<detail::timer_entry> {
  static void encode(const detail::timer_entry& x, std::string& out) {
    out.push_back(static_cast<char>(x.domain));
    codec<int64_t>::encode(x.time, out);
  }
  static bool decode(byte_reader& in, detail::timer_entry& x) {
    uint8_t d = 0;
    if (!in.read(&d, 1) || d > 1) return false;
    x.domain = static_cast<time_domain>(d);
    return codec<int64_t>::decode(in, x.time);
  }
};

}  // namespace nagare

namespace nagare::detail {

// Keyed: the operator's keyed state backend (set_current_key, for_each_key,
// make_timer_index).
template <class K, class Keyed>
class timer_service {
 public:
  static constexpr const char* state_name = "__timers";

  // Declares the timers' keyed state on `ctx` (a backend over `keyed`) and
  // starts with an empty index. Throws std::invalid_argument as
  // state_context does (the operator declared "__timers" itself).
  void open(state_context& ctx, Keyed& keyed, uint32_t max_parallelism) {
    keyed_ = &keyed;
    max_parallelism_ = max_parallelism;
    timers_ = ctx.value<std::vector<timer_entry>>(state_name);
    index_ = keyed.make_timer_index();
  }

  // Adds timer (d, time) to the current key `key` (whose key_hash is
  // `hash`); false when the key holds it already.
  bool add(time_domain d, int64_t time, const K& key, uint64_t hash) {
    timer_entry t{d, time};
    auto* list = timers_.get();
    if (!list) list = &timers_.set({});
    auto it = first_not_below(*list, t);
    if (it != list->end() && *it == t) return false;
    list->insert(it, t);
    index_->add(d, time, key_group_of(hash, max_parallelism_), encoded(key));
    return true;
  }

  // Removes timer (d, time) of the current key; false when it has none.
  bool remove(time_domain d, int64_t time, const K& key, uint64_t hash) {
    if (!erase_current(timer_entry{d, time})) return false;
    index_->remove(d, time, key_group_of(hash, max_parallelism_), encoded(key));
    return true;
  }

  // Whether the current key holds timer (d, time).
  bool contains(time_domain d, int64_t time) const {
    const auto* list = timers_.get();
    if (!list) return false;
    auto it = first_not_below(*list, timer_entry{d, time});
    return it != list->end() && *it == timer_entry{d, time};
  }

  // Fires the timers of domain `d` with time <= `bound`, earliest first (ties
  // by key group, then key bytes), at most `max_timers` of them: removes
  // each from its key, makes the key current and calls fire(key, key_hash,
  // time). Timers that fire() adds within the bound fire in the same advance.
  // `key` lives for the call only. False when it stopped at the limit (a
  // next call goes on where it stopped), true when no timer is due.
  template <class Fire>
  bool advance(time_domain d, int64_t bound, Fire&& fire, size_t max_timers = SIZE_MAX) {
    timer_ref ref;
    for (size_t popped = 0;; ++popped) {
      if (popped == max_timers) return false;
      if (!index_->pop(d, bound, ref)) return true;
      K key{};
      byte_reader in(ref.key.data(), ref.key.size());
      if (!codec<K>::decode(in, key) || in.remaining() != 0)
        throw_failure(status(errc::io_error, "a timer holds a malformed key"));
      auto hash = key_hash<K>{}(key);
      keyed_->set_current_key(hash, key);
      if (!erase_current(timer_entry{d, ref.time})) continue;  // not the key's any more
      fire(static_cast<const K&>(key), hash, ref.time);
    }
  }

  bool empty(time_domain d) const { return index_->empty(d); }
  // The latest pending time of domain `d` (min_timestamp: none).
  int64_t latest(time_domain d) const { return index_->latest(d); }

  // Rebuilds the index from the keys' timers (after a restore).
  void rebuild() {
    index_->clear();
    keyed_->for_each_key([this](const K& key) {
      const auto* list = timers_.get();
      if (!list) return;
      auto kg = key_group_of(key_hash<K>{}(key), max_parallelism_);
      const auto& bytes = encoded(key);
      for (const auto& t : *list) index_->add(t.domain, t.time, kg, bytes);
    });
  }

 private:
  // The first timer of the sorted `list` that is not below `t` (binary search).
  template <class List>
  static auto first_not_below(List& list, const timer_entry& t) {
    auto it = list.begin();
    auto n = list.size();
    while (n > 0) {
      auto half = n / 2;
      if (it[half] < t) {
        it += half + 1;
        n -= half + 1;
      } else {
        n = half;
      }
    }
    return it;
  }
  bool erase_current(const timer_entry& t) {
    auto* list = timers_.get();
    if (!list) return false;
    auto it = first_not_below(*list, t);
    if (it == list->end() || !(*it == t)) return false;
    list->erase(it);
    if (list->empty()) timers_.clear();
    return true;
  }
  const std::string& encoded(const K& key) {
    scratch_.clear();
    codec<K>::encode(key, scratch_);
    return scratch_;
  }

  Keyed* keyed_ = nullptr;
  uint32_t max_parallelism_ = default_max_parallelism;
  value_state<std::vector<timer_entry>> timers_;
  owned<timer_index> index_;
  std::string scratch_;  // the encoded key, reused
};

}  // namespace nagare::detail
