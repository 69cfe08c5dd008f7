#include "state/kv_timer_index.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace nagare::detail {

namespace {

// Timers loaded onto the heap per read of the store.
constexpr size_t refill_batch = 1024;

// time, key group, key: the part of a store key after prefix and domain.
std::string suffix_of(int64_t time, uint32_t key_group, std::string_view key) {
  std::string s;
  s.reserve(10 + key.size());
  auto t = static_cast<uint64_t>(time) ^ (uint64_t{1} << 63);
  for (int shift = 56; shift >= 0; shift -= 8) s.push_back(static_cast<char>(t >> shift));
  s.push_back(static_cast<char>(key_group >> 8));
  s.push_back(static_cast<char>(key_group));
  s.append(key);
  return s;
}

int64_t time_of(std::string_view suffix) {
  uint64_t t = 0;
  for (int i = 0; i < 8; ++i) t = (t << 8) | static_cast<unsigned char>(suffix[i]);
  return static_cast<int64_t>(t ^ (uint64_t{1} << 63));
}

timer_ref ref_of(std::string_view suffix) {
  timer_ref r;
  r.time = time_of(suffix);
  r.key_group = (uint32_t{static_cast<unsigned char>(suffix[8])} << 8) |
                static_cast<unsigned char>(suffix[9]);
  r.key.assign(suffix.substr(10));
  return r;
}

// The timers of each domain are split at `boundary`: those whose suffix is
// below it are due (their time passed a bound given to pop) and sit in
// `front` on the heap; all others are in the store. The boundary only moves
// up, over timers read from the store to fire, so the store is read from
// where the last read ended and never walks over the deletions of fired
// timers again.
class kv_timer_index final : public timer_index {
 public:
  kv_timer_index(std::shared_ptr<kv_store> store, char prefix)
      : store_(std::move(store)), prefix_(prefix) {}

  void add(time_domain d, int64_t time, uint32_t key_group, std::string_view key) override {
    auto& s = of(d);
    auto suffix = suffix_of(time, key_group, key);
    if (suffix < s.boundary) {
      s.front.insert(std::move(suffix));
      return;
    }
    auto k = store_key(d, suffix);
    if (store_->get(k, scratch_)) return;
    store_->put(k, {});
    ++s.stored;
    s.earliest = std::min(s.earliest, time);
  }

  void remove(time_domain d, int64_t time, uint32_t key_group, std::string_view key) override {
    auto& s = of(d);
    auto suffix = suffix_of(time, key_group, key);
    if (suffix < s.boundary) {
      s.front.erase(suffix);
      return;
    }
    auto k = store_key(d, suffix);
    if (!store_->get(k, scratch_)) return;
    store_->erase(k);
    --s.stored;
  }

  bool pop(time_domain d, int64_t bound, timer_ref& out) override {
    auto& s = of(d);
    if (s.front.empty()) refill(d, bound);
    if (s.front.empty() || time_of(*s.front.begin()) > bound) return false;
    out = ref_of(*s.front.begin());
    s.front.erase(s.front.begin());
    return true;
  }

  bool empty(time_domain d) const override {
    const auto& s = domains_[index(d)];
    return s.front.empty() && s.stored == 0;
  }

  int64_t latest(time_domain d) const override {
    const auto& s = domains_[index(d)];
    int64_t t = s.front.empty() ? min_timestamp : time_of(*s.front.rbegin());
    if (s.stored == 0) return t;
    auto it = store_->iterate();
    std::string end{prefix_, static_cast<char>(index(d) + 1)};
    it->seek_before(end);
    if (it->valid() && it->key().size() >= 12 && it->key()[0] == prefix_ &&
        static_cast<size_t>(it->key()[1]) == index(d))
      t = std::max(t, time_of(it->key().substr(2)));
    return t;
  }

  void clear() override {
    for (auto& s : domains_) s = domain{};
    auto it = store_->iterate();
    for (it->seek(std::string(1, prefix_)); it->valid() && it->key()[0] == prefix_; it->next()) {
      store_->stage_erase(it->key());
      if (store_->staged_bytes() > (4u << 20)) store_->commit();
    }
    store_->commit();
  }

 private:
  struct domain {
    std::set<std::string> front;       // due timers (suffixes below boundary)
    std::string boundary;              // "": every timer is in the store
    uint64_t stored = 0;               // timers in the store
    int64_t earliest = max_timestamp;  // no stored timer is earlier
  };

  static size_t index(time_domain d) { return d == time_domain::event_time ? 0 : 1; }
  domain& of(time_domain d) { return domains_[index(d)]; }
  std::string store_key(time_domain d, std::string_view suffix) const {
    std::string k{prefix_, static_cast<char>(index(d))};
    k.append(suffix);
    return k;
  }

  // Moves the next due timers (time <= bound) from the store to the front.
  void refill(time_domain d, int64_t bound) {
    auto& s = of(d);
    if (s.stored == 0 || s.earliest > bound) return;
    auto it = store_->iterate();
    std::string start = store_key(d, s.boundary);
    std::string_view head(start.data(), 2);
    std::string last;
    size_t n = 0;
    s.earliest = max_timestamp;  // unless a later stored timer is met below
    for (it->seek(start); it->valid() && it->key().substr(0, 2) == head; it->next()) {
      auto suffix = it->key().substr(2);
      auto time = time_of(suffix);
      if (time > bound || n == refill_batch) {
        s.earliest = time;
        break;
      }
      store_->stage_erase(it->key());
      last.assign(suffix);
      s.front.emplace(suffix);
      ++n;
    }
    if (n == 0) return;
    store_->commit();
    s.stored -= n;
    s.boundary = std::move(last);
    s.boundary.push_back('\0');  // the least suffix above the last one read
  }

  std::shared_ptr<kv_store> store_;
  char prefix_;
  domain domains_[2];
  std::string scratch_;
};

}  // namespace

owned<timer_index> make_kv_timer_index(std::shared_ptr<kv_store> store, char prefix) {
  return make_owned<kv_timer_index>(std::move(store), prefix);
}

}  // namespace nagare::detail
