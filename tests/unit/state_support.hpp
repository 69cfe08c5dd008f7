// Helpers shared by the state tests: a keyed state backend with three
// declared states (value, list, map) over string keys, driven key by key, and
// a plain std::map model of what it should hold. Expected contents always come
// from the model, never from the backend.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/detail/snapshot.hpp"
#include "nagare/map_state.hpp"
#include "nagare/state.hpp"
#include "snapshot_support.hpp"

namespace nagare::state_testing {

using namespace snapshot_testing;

// What one key holds in the three states of `backend`.
struct key_state {
  std::optional<int64_t> value;
  std::vector<std::string> list;
  std::map<uint32_t, std::string> map;
  bool empty() const { return !value && list.empty() && map.empty(); }
  bool operator==(const key_state& o) const {
    return value == o.value && list == o.list && map == o.map;
  }
};
using model = std::map<std::string, key_state>;

inline std::ostream& operator<<(std::ostream& os, const key_state& s) {
  os << "{value " << (s.value ? std::to_string(*s.value) : "none") << ", list " << s.list.size()
     << ", map " << s.map.size() << "}";
  return os;
}

// Sets backend_under_test() to `b` while alive. In leveldb mode the cache
// holds only a few keys (unless told otherwise), so that every suite also
// exercises eviction, write-back and reload; the stores live in a temporary
// directory removed at the end.
class backend_choice {
 public:
  static constexpr uint32_t tiny_cache = 8;
  explicit backend_choice(state_backend b, uint32_t cache_keys = tiny_cache) {
    auto& o = backend_under_test();
    o = state_backend_options{};
    o.backend = b;
    if (b == state_backend::leveldb) {
      dir_ = ::testing::TempDir() + "nagare-state-" + std::to_string(::getpid());
      o.directory = dir_;
      o.cache_keys = cache_keys;
    }
  }
  ~backend_choice() {
    backend_under_test() = state_backend_options{};
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  backend_choice(const backend_choice&) = delete;
  backend_choice& operator=(const backend_choice&) = delete;

 private:
  std::string dir_;
};

// A suite that runs on both state backends: TEST_P(suite, ...) with
// INSTANTIATE_BACKENDS(suite).
class on_both_backends : public ::testing::TestWithParam<state_backend> {
 protected:
  void SetUp() override { choice_ = std::make_unique<backend_choice>(GetParam()); }
  void TearDown() override { choice_.reset(); }

 private:
  std::unique_ptr<backend_choice> choice_;
};

// A suite on the leveldb backend only (tiny cache).
class on_leveldb : public ::testing::Test {
 protected:
  void SetUp() override { choice_ = std::make_unique<backend_choice>(state_backend::leveldb); }
  void TearDown() override { choice_.reset(); }

 private:
  std::unique_ptr<backend_choice> choice_;
};

inline std::string backend_name(const ::testing::TestParamInfo<state_backend>& p) {
  return p.param == state_backend::memory ? "memory" : "leveldb";
}

#define INSTANTIATE_BACKENDS(suite)                                                          \
  INSTANTIATE_TEST_SUITE_P(backends, suite,                                                  \
                           ::testing::Values(state_backend::memory, state_backend::leveldb), \
                           ::nagare::state_testing::backend_name)

// The keyed state of one subtask of `parallelism`, with the states "count"
// (value), "seen" (list) and "tags" (map) declared, on backend_under_test().
struct backend {
  detail::keyed_state<std::string> keyed;
  detail::operator_state ops;
  subtask_info info;
  value_state<int64_t> count;
  list_state<std::string> seen;
  map_state<uint32_t, std::string> tags;
  std::string key;

  explicit backend(uint32_t subtask = 0, uint32_t parallelism = 1)
      : info(where(subtask, parallelism)) {
    auto st = keyed.open(key_groups_of(subtask, max_par, parallelism), max_par, info.state);
    EXPECT_TRUE(st.ok()) << st.message();
    state_context ctx(&keyed, &ops, info);
    count = ctx.value<int64_t>("count");
    seen = ctx.list<std::string>("seen");
    tags = ctx.map<uint32_t, std::string>("tags");
  }
  // Makes `k` the current key.
  void at(const std::string& k) {
    key = k;
    keyed.set_current_key(key_hash<std::string>{}(key), key);
  }
  // What the current key holds.
  key_state current() const {
    key_state s;
    if (auto* v = count.get()) s.value = *v;
    s.list = seen.get();
    s.map = tags.entries();
    return s;
  }
  // Everything the backend holds, per key, visiting every key.
  model contents() {
    model m;
    keyed.for_each_key([&](const std::string& k) {
      EXPECT_TRUE(m.emplace(k, current()).second) << k << " visited twice";
    });
    return m;
  }
  detail::operator_snapshot snapshot() const {
    detail::operator_snapshot s;
    detail::key_group_map_writer into(s.key_groups);
    keyed.write_key_groups(into);
    ops.write(s.entries);
    return s;
  }
  status restore(const snapshots& previous) {
    return detail::restore_key_groups(keyed, previous, max_par);
  }
  // The snapshot the operator would write at checkpoint `id` (complete, or
  // a delta in leveldb mode), as the runtime stores it.
  detail::operator_snapshot checkpoint(uint64_t id) {
    keyed.prepare_checkpoint(id);
    detail::operator_snapshot s;
    keyed.write_snapshot(s);
    ops.write(s.entries);
    s.checkpoint = id;
    return s;
  }
};

// Applies `n` pseudo-random operations over `keys` keys to `b` and to `m`.
inline void random_ops(backend& b, model& m, size_t n, uint32_t keys, uint64_t seed) {
  uint64_t x = seed;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  for (size_t i = 0; i < n; ++i) {
    auto k = "key" + std::to_string(next() % keys);
    b.at(k);
    auto& s = m[k];
    auto v = static_cast<uint32_t>(next() % 16);
    switch (next() % 9) {
      case 0:
      case 1:
        s.value = s.value.value_or(0) + v;
        b.count.set_default(0) += v;
        break;
      case 2:
        s.value.reset();
        b.count.clear();
        break;
      case 3:
      case 4:
        s.list.push_back("e" + std::to_string(v));
        b.seen.add("e" + std::to_string(v));
        break;
      case 5:
        s.list.clear();
        b.seen.clear();
        break;
      case 6:
        s.map[v] = "t" + std::to_string(i);
        b.tags.put(v, "t" + std::to_string(i));
        break;
      case 7:
        EXPECT_EQ(b.tags.remove(v), s.map.erase(v) == 1) << k;
        break;
      case 8:
        EXPECT_EQ(b.current(), s) << "reading " << k << " at step " << i;
        break;
    }
    if (s.empty()) m.erase(k);
  }
}

}  // namespace nagare::state_testing
