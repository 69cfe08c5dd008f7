// The in-memory timer index against a std::set of (domain, time, key group,
// key): random adds, removals (also of timers never added) and pops with
// random bounds, in both domains; pops come out in (time, key group, key)
// order, and empty() and latest() agree with the set throughout.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <tuple>

#include "state/memory_timer_index.hpp"

namespace nagare {
namespace {

using entry = std::tuple<int, int64_t, uint32_t, std::string>;  // domain, time, key group, key

TEST(timer_index, agrees_with_an_ordered_set) {
  detail::memory_timer_index index;
  std::set<entry> model;
  uint64_t x = 5;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  int64_t floor[2] = {0, 0};  // pops so far went up to here; later adds go above it mostly
  size_t pops = 0;
  for (int i = 0; i < 40000; ++i) {
    auto d = static_cast<time_domain>(next() % 2);
    int di = static_cast<int>(d);
    // Times cluster on multiples of 10 (aligned windows) and sometimes fall anywhere.
    int64_t t = floor[di] + static_cast<int64_t>(next() % 5 == 0 ? next() % 100 : next() % 10 * 10);
    auto kg = static_cast<uint32_t>(next() % 4);
    // Long keys too, beyond the short-string buffer.
    auto key = std::string(next() % 3 == 0 ? 20 : 2, 'k') + std::to_string(next() % 30);
    entry e{di, t, kg, key};
    switch (next() % 6) {
      case 0:
      case 1:
      case 2:
        if (model.insert(e).second) index.add(d, t, kg, key);
        break;
      case 3: {
        model.erase(e);
        index.remove(d, t, kg, key);
        // And one that surely is there, if any.
        auto it = model.lower_bound(entry{di, min_timestamp, 0, ""});
        if (it != model.end() && std::get<0>(*it) == di && next() % 2) {
          index.remove(d, std::get<1>(*it), std::get<2>(*it), std::get<3>(*it));
          model.erase(it);
        }
        break;
      }
      default: {
        int64_t bound = floor[di] + static_cast<int64_t>(next() % 40);
        detail::timer_ref ref;
        while (true) {
          auto it = model.lower_bound(entry{di, min_timestamp, 0, ""});
          bool due = it != model.end() && std::get<0>(*it) == di && std::get<1>(*it) <= bound;
          ASSERT_EQ(index.pop(d, bound, ref), due) << "step " << i;
          if (!due) break;
          EXPECT_EQ(ref.time, std::get<1>(*it));
          EXPECT_EQ(ref.key_group, std::get<2>(*it));
          EXPECT_EQ(ref.key, std::get<3>(*it));
          model.erase(it);
          ++pops;
          auto same = model.lower_bound(entry{di, ref.time, 0, ""});
          if (next() % 5 == 0 && same != model.end() && std::get<0>(*same) == di &&
              std::get<1>(*same) == ref.time) {  // a timer removed at the time being drained
            index.remove(d, ref.time, std::get<2>(*same), std::get<3>(*same));
            model.erase(same);
          }
          if (next() % 7 == 0) {  // a timer added at the time being drained
            entry again{di, ref.time, static_cast<uint32_t>(next() % 4), "late"};
            if (model.insert(again).second) index.add(d, ref.time, std::get<2>(again), "late");
          }
        }
        floor[di] = std::max(floor[di], bound - 20);
        break;
      }
    }
    for (int dd = 0; dd < 2; ++dd) {
      auto lo = model.lower_bound(entry{dd, min_timestamp, 0, ""});
      bool none = lo == model.end() || std::get<0>(*lo) != dd;
      ASSERT_EQ(index.empty(static_cast<time_domain>(dd)), none) << "step " << i;
      if (!none) {
        auto hi = model.lower_bound(entry{dd + 1, min_timestamp, 0, ""});
        EXPECT_EQ(index.latest(static_cast<time_domain>(dd)), std::get<1>(*std::prev(hi)));
      }
    }
  }
  EXPECT_GT(pops, 5000u);
  index.clear();
  EXPECT_TRUE(index.empty(time_domain::event_time));
  EXPECT_EQ(index.latest(time_domain::processing_time), min_timestamp);
}

}  // namespace
}  // namespace nagare
