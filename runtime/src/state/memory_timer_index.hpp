// The timer index (detail/timer_index.hpp) of the memory state backend, on
// the heap. Not thread-safe: owned by one operator instance.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nagare/detail/timer_index.hpp"

namespace nagare::detail {

// The index on the heap. Per domain an ordered map from time to a bucket of
// the timers due then: windows aligned to the epoch make many keys' timers
// share a time, and timers mostly come in increasing time, so an add is
// usually an append to the last bucket touched (amortized: no allocation). A
// bucket is sorted (key group, key) only when it starts to drain or loses a
// timer; removal leaves a tombstone until the bucket drains or is half dead.
class memory_timer_index final : public timer_index {
 public:
  void add(time_domain d, int64_t time, uint32_t key_group, std::string_view key) override {
    auto& b = bucket_at(d, time);
    ++b.live;
    ++of(d).live;
    if (!b.sorted) {
      b.items.push_back(b.store(key_group, key));
      return;
    }
    auto it = b.find(key_group, key);
    if (it != b.items.end() && b.same(*it, key_group, key)) {
      if (!it->dead) {  // present already (see the REQUIRES): nothing changes
        --b.live;
        --of(d).live;
        return;
      }
      it->dead = false;  // it was removed: back to life
      --b.dead;
      return;
    }
    auto i = it - b.items.begin();
    auto stored = b.store(key_group, key);
    b.items.insert(b.items.begin() + i, stored);
  }

  void remove(time_domain d, int64_t time, uint32_t key_group, std::string_view key) override {
    auto& dom = of(d);
    auto bit = dom.buckets.find(time);
    if (bit == dom.buckets.end()) return;
    auto& b = bit->second;
    b.sort();
    auto it = b.find(key_group, key);
    if (it == b.items.end() || it->dead || !b.same(*it, key_group, key)) return;
    it->dead = true;
    ++b.dead;
    --b.live;
    --dom.live;
    if (b.live == 0) {
      drop(dom, bit);
    } else if (b.dead * 2 > b.items.size() - b.next) {
      b.compact();
    }
  }

  bool pop(time_domain d, int64_t bound, timer_ref& out) override {
    auto& dom = of(d);
    if (dom.buckets.empty()) return false;
    auto bit = dom.buckets.begin();
    if (bit->first > bound) return false;
    auto& b = bit->second;
    b.sort();
    while (b.items[b.next].dead) {
      ++b.next;
      --b.dead;
    }
    const auto& i = b.items[b.next++];
    out.time = bit->first;
    out.key_group = i.key_group;
    out.key.assign(b.key_of(i));
    --b.live;
    --dom.live;
    if (b.live == 0) drop(dom, bit);
    return true;
  }

  bool empty(time_domain d) const override { return domains_[index(d)].live == 0; }
  int64_t latest(time_domain d) const override {
    const auto& b = domains_[index(d)].buckets;
    return b.empty() ? min_timestamp : b.rbegin()->first;
  }
  void clear() override {
    for (auto& dom : domains_) {
      dom.buckets.clear();
      dom.live = 0;
      dom.last = dom.buckets.end();
    }
  }

 private:
  // A timer of a bucket: its key group and where its key bytes are in the
  // bucket's `bytes`, with the first 8 of them as a big-endian number (most
  // comparisons end there, and items stay small and trivially copyable).
  struct item {
    uint64_t prefix;
    uint64_t offset;
    uint32_t key_group;
    uint32_t size : 31;
    uint32_t dead : 1;
  };
  static uint64_t prefix_of(std::string_view k) {
    uint64_t p = 0;
    for (size_t i = 0; i < 8; ++i)
      p = (p << 8) | (i < k.size() ? static_cast<unsigned char>(k[i]) : 0u);
    return p;
  }
  // The timers due at one time. Items before `next` have been popped.
  struct bucket {
    std::vector<item> items;
    std::string bytes;  // every key ever added, back to back
    size_t next = 0;
    size_t live = 0;
    size_t dead = 0;  // tombstones at or after next
    bool sorted = false;

    item store(uint32_t kg, std::string_view k) {
      item i{prefix_of(k), bytes.size(), kg, static_cast<uint32_t>(k.size()), 0};
      bytes.append(k.data(), k.size());
      return i;
    }
    std::string_view key_of(const item& i) const { return {bytes.data() + i.offset, i.size}; }
    // (key group, key) order.
    bool before(const item& i, uint32_t kg, uint64_t prefix, std::string_view k) const {
      if (i.key_group != kg) return i.key_group < kg;
      if (i.prefix != prefix) return i.prefix < prefix;
      return key_of(i) < k;
    }
    bool same(const item& i, uint32_t kg, std::string_view k) const {
      return i.key_group == kg && key_of(i) == k;
    }
    void sort() {
      if (sorted) return;
      std::sort(items.begin(), items.end(), [this](const item& a, const item& b) {
        return before(a, b.key_group, b.prefix, key_of(b));
      });
      sorted = true;
    }
    // The first live-or-dead item at or after next that is not before (kg, k).
    std::vector<item>::iterator find(uint32_t kg, std::string_view k) {
      const auto prefix = prefix_of(k);
      return std::lower_bound(items.begin() + static_cast<std::ptrdiff_t>(next), items.end(), 0,
                              [&](const item& i, int) { return before(i, kg, prefix, k); });
    }
    void compact() {
      items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(next));
      items.erase(std::remove_if(items.begin(), items.end(), [](const item& i) { return i.dead; }),
                  items.end());
      next = 0;
      dead = 0;
    }
  };
  struct domain {
    std::map<int64_t, bucket> buckets;
    std::map<int64_t, bucket>::iterator last = buckets.end();  // the bucket added to last
    size_t live = 0;
  };

  static size_t index(time_domain d) { return d == time_domain::event_time ? 0 : 1; }
  domain& of(time_domain d) { return domains_[index(d)]; }
  bucket& bucket_at(time_domain d, int64_t time) {
    auto& dom = of(d);
    if (dom.last == dom.buckets.end() || dom.last->first != time)
      dom.last = dom.buckets.try_emplace(time).first;
    return dom.last->second;
  }
  static void drop(domain& dom, std::map<int64_t, bucket>::iterator bit) {
    if (dom.last == bit) dom.last = dom.buckets.end();
    dom.buckets.erase(bit);
  }

  domain domains_[2];
};

}  // namespace nagare::detail
