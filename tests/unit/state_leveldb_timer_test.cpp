// The leveldb backend's timer index (kv_timer_index): timers come out in
// (time, key group, key bytes) order, exactly as from the heap index
// (memory_timer_index) under the same random additions, removals and pops,
// with negative times, high key groups and key bytes above 0x7f, and with
// more pending timers than it reads from the store at once.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "state/kv_store.hpp"
#include "state/kv_timer_index.hpp"
#include "state/memory_timer_index.hpp"

namespace nagare {
namespace {

class state_leveldb_timer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "nagare-timers-" + std::to_string(::getpid());
    auto s = detail::kv_store::create(dir_);
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = std::move(s.value());
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
  std::shared_ptr<detail::kv_store> store_;
};

constexpr time_domain event = time_domain::event_time;
constexpr time_domain processing = time_domain::processing_time;

// Pops every timer of `d` up to `bound` from both indexes and expects the same sequence.
void expect_same_pops(detail::timer_index& kv, detail::timer_index& heap, time_domain d,
                      int64_t bound, const std::string& when) {
  std::vector<detail::timer_ref> got, expected;
  detail::timer_ref r;
  while (kv.pop(d, bound, r)) got.push_back(r);
  while (heap.pop(d, bound, r)) expected.push_back(r);
  ASSERT_EQ(got.size(), expected.size()) << when;
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << when << ", pop " << i;
}

// Timers are ordered by time first (signed), then key group, then key bytes as unsigned bytes.
TEST_F(state_leveldb_timer, pops_in_time_key_group_and_key_order) {
  auto index = detail::make_kv_timer_index(store_, 't');
  index->add(event, 5, 1, "b");
  index->add(event, -3, 7, "a");
  index->add(event, 5, 1, "\xff");
  index->add(event, 5, 1, "a");
  index->add(event, 5, 0, "z");
  index->add(event, min_timestamp, 300, "x");
  index->add(event, 5, 1, "b");  // present already: no second timer
  index->add(processing, 1, 0, "p");
  EXPECT_EQ(index->latest(event), 5);
  std::vector<detail::timer_ref> got;
  detail::timer_ref r;
  while (index->pop(event, 4, r)) got.push_back(r);
  EXPECT_EQ(got, (std::vector<detail::timer_ref>{{min_timestamp, 300, "x"}, {-3, 7, "a"}}));
  while (index->pop(event, max_timestamp, r)) got.push_back(r);
  EXPECT_EQ(got, (std::vector<detail::timer_ref>{{min_timestamp, 300, "x"},
                                                 {-3, 7, "a"},
                                                 {5, 0, "z"},
                                                 {5, 1, "a"},
                                                 {5, 1, "b"},
                                                 {5, 1, "\xff"}}));
  EXPECT_TRUE(index->empty(event));
  EXPECT_FALSE(index->empty(processing)) << "domains are apart";
  EXPECT_EQ(index->latest(event), min_timestamp);
}

// Random additions, removals and pops with growing bounds, tens of thousands of timers: the
// store-backed index hands out exactly what the heap index does, and agrees on empty() and
// latest() throughout.
TEST_F(state_leveldb_timer, random_operations_match_the_heap_index) {
  auto kv = detail::make_kv_timer_index(store_, 't');
  detail::memory_timer_index heap;
  std::mt19937_64 rng(77);
  int64_t bound[2] = {-1000, -1000};
  for (int step = 0; step < 40; ++step) {
    for (int i = 0; i < 1500; ++i) {
      auto d = rng() % 4 == 0 ? processing : event;
      // Times around the current bound: some already due, some far ahead.
      int64_t t = bound[static_cast<int>(d)] + static_cast<int64_t>(rng() % 4000) - 500;
      uint32_t kg = static_cast<uint32_t>(rng() % 32768);
      std::string key(1 + rng() % 3, '\0');
      for (auto& c : key) c = static_cast<char>(rng() % 256);
      if (rng() % 5 == 0) {
        kv->remove(d, t, kg, key);
        heap.remove(d, t, kg, key);
      } else {
        kv->add(d, t, kg, key);
        heap.add(d, t, kg, key);
      }
    }
    for (auto d : {event, processing}) {
      auto& b = bound[static_cast<int>(d)];
      b += static_cast<int64_t>(rng() % 3000);
      expect_same_pops(*kv, heap, d, b, "step " + std::to_string(step));
      EXPECT_EQ(kv->empty(d), heap.empty(d));
      EXPECT_EQ(kv->latest(d), heap.latest(d));
    }
  }
  for (auto d : {event, processing}) expect_same_pops(*kv, heap, d, max_timestamp, "the end");
  EXPECT_TRUE(kv->empty(event) && kv->empty(processing));
}

// Timers added below the last popped one (due at once) still come out, in order, and clear()
// forgets every timer.
TEST_F(state_leveldb_timer, late_additions_and_clear) {
  auto kv = detail::make_kv_timer_index(store_, 't');
  detail::memory_timer_index heap;
  for (int i = 0; i < 3000; ++i) {
    kv->add(event, i, 0, "k");
    heap.add(event, i, 0, "k");
  }
  detail::timer_ref r;
  for (int i = 0; i < 1500; ++i) {
    ASSERT_TRUE(kv->pop(event, 2000, r));
    ASSERT_TRUE(heap.pop(event, 2000, r));
    if (i % 100 == 0) {  // a timer fired registers one at an earlier time, and one later
      kv->add(event, i / 2, 1, "late");
      heap.add(event, i / 2, 1, "late");
      kv->add(event, 2500 + i, 1, "ahead");
      heap.add(event, 2500 + i, 1, "ahead");
    }
  }
  expect_same_pops(*kv, heap, event, 2600, "after late additions");
  kv->clear();
  EXPECT_TRUE(kv->empty(event));
  EXPECT_FALSE(kv->pop(event, max_timestamp, r));
}

}  // namespace
}  // namespace nagare
