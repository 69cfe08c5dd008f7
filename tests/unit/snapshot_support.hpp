// Helpers shared by the snapshot tests: operators wired to captures, sample
// records, and a round trip through the chain-level encoding. Expected values
// in the tests come from plain std::map / std::vector computations, never
// from the operators themselves.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nagare/aggregate.hpp"
#include "nagare/detail/operators.hpp"
#include "nagare/detail/snapshot.hpp"
#include "nagare/job.hpp"
#include "nagare/source.hpp"
#include "plan.hpp"
#include "task_chain.hpp"

namespace nagare::snapshot_testing {

using kv = std::pair<std::string, int64_t>;
using strings = std::vector<std::string>;
using snapshots = std::vector<detail::operator_snapshot>;

inline constexpr uint32_t max_par = 128;

// The state backend that where() puts into subtask_info (memory unless a
// suite parameterized by backend set it, see state_support.hpp).
inline state_backend_options& backend_under_test() {
  static state_backend_options options;
  return options;
}

inline subtask_info where(uint32_t subtask, uint32_t parallelism) {
  subtask_info info;
  info.state = backend_under_test();
  info.task_name = "test (" + std::to_string(subtask + 1) + "/" + std::to_string(parallelism) + ")";
  info.subtask = subtask;
  info.parallelism = parallelism;
  info.max_parallelism = max_par;
  return info;
}

inline uint32_t owner(const std::string& key, uint32_t parallelism) {
  return subtask_of(key_group_of(key_hash<std::string>{}(key), max_par), max_par, parallelism);
}

// Collects what an operator emits.
template <class T>
class capture final : public detail::input_port<T> {
 public:
  void push(T& r) override { got.push_back(r); }
  std::vector<T> got;
};

struct first_of {
  std::string operator()(const kv& r) const { return r.first; }
};
struct add_values {
  kv operator()(const kv& a, const kv& b) const { return {a.first, a.second + b.second}; }
};
struct value_of {
  int64_t operator()(const kv& r) const { return r.second; }
};
using reduce_op = detail::reduce_operator<kv, first_of, add_values>;
using sum_agg = sum_of<int64_t, value_of>;
using aggregate_op = detail::aggregate_operator<kv, first_of, sum_agg>;

// An operator instance wired to a capture and opened at (subtask, parallelism).
template <class Op, class Out>
struct harness {
  std::unique_ptr<Op> op;
  capture<Out> out;
  subtask_info info;

  harness(std::unique_ptr<Op> o, subtask_info i) : op(std::move(o)), info(std::move(i)) {
    op->connect(static_cast<detail::input_port<Out>*>(&out));
    auto st = op->open(info);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  void push(std::vector<kv> records) {
    for (auto& r : records) op->push(r);
  }
  status restore(const snapshots& previous) { return op->restore(previous, info); }
  detail::operator_snapshot snapshot() const {
    detail::operator_snapshot s;
    op->snapshot(s);
    return s;
  }
};

using reducer = harness<reduce_op, kv>;
using aggregator = harness<aggregate_op, std::pair<std::string, int64_t>>;

inline std::unique_ptr<reducer> make_reducer(uint32_t s = 0, uint32_t p = 1) {
  return std::make_unique<reducer>(std::make_unique<reduce_op>(first_of{}, add_values{}),
                                   where(s, p));
}
inline std::unique_ptr<aggregator> make_aggregator(uint32_t s = 0, uint32_t p = 1) {
  return std::make_unique<aggregator>(
      std::make_unique<aggregate_op>(first_of{}, sum<int64_t>(value_of{})), where(s, p));
}

// `n` records over `keys` keys, deterministic, with negative values too.
inline std::vector<kv> records(size_t n, uint32_t keys, uint32_t seed = 1) {
  std::vector<kv> out;
  uint64_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    out.push_back(
        {"key" + std::to_string((x >> 33) % keys), static_cast<int64_t>((x >> 20) % 21) - 10});
  }
  return out;
}

// The bytes of one key group in the keyed state format (detail/keyed_state.hpp),
// spelled out here independently of the backend: version 1, the states
// (name, kind), the number of keys, then the given entries as they are.
inline std::string key_group_bytes(const std::vector<std::pair<std::string, uint8_t>>& states,
                                   uint64_t keys, const std::string& entries) {
  std::string out(1, '\x01');
  write_varint(out, states.size());
  for (const auto& [name, kind] : states) out += encode(name) + std::string(1, char(kind));
  write_varint(out, keys);
  return out + entries;
}
inline constexpr uint8_t value_kind = 1, list_kind = 2, map_kind = 3;
inline const std::string absent(1, '\0');  // the presence flag of a state a key does not hold

// One entry of the operator list state `name` (detail/operator_state.hpp): the
// state name, then the element's own encoding.
template <class V>
std::string operator_entry(const std::string& name, const V& element) {
  return encode(name) + encode(element);
}

// Sends the snapshot through the chain-level encoding and back.
inline detail::operator_snapshot through_bytes(const detail::operator_snapshot& s) {
  auto decoded = decode_snapshots(encode_snapshots({s}));
  EXPECT_TRUE(decoded.ok()) << decoded.error().message();
  if (!decoded.ok() || decoded->size() != 1) return {};
  return decoded->front();
}

}  // namespace nagare::snapshot_testing
