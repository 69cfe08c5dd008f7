// Operator snapshots: keyed state per key group, source positions as
// operator state entries, the chain-level encoding with its checksum, and
// restores at the same and at another parallelism. Expected values come from
// plain std::map / std::vector computations in the tests, never from the
// operators themselves.
#include <gtest/gtest.h>

#include "process.hpp"

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
#include "nagare/job.hpp"
#include "nagare/source.hpp"
#include "plan.hpp"
#include "task_chain.hpp"

namespace nagare {
namespace {

using kv = std::pair<std::string, int64_t>;
using strings = std::vector<std::string>;
using snapshots = std::vector<detail::operator_snapshot>;

constexpr uint32_t max_par = 128;

subtask_info where(uint32_t subtask, uint32_t parallelism) {
  subtask_info info;
  info.task_name = "test (" + std::to_string(subtask + 1) + "/" + std::to_string(parallelism) + ")";
  info.subtask = subtask;
  info.parallelism = parallelism;
  info.max_parallelism = max_par;
  return info;
}

uint32_t owner(const std::string& key, uint32_t parallelism) {
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

std::unique_ptr<reducer> make_reducer(uint32_t s = 0, uint32_t p = 1) {
  return std::make_unique<reducer>(std::make_unique<reduce_op>(first_of{}, add_values{}),
                                   where(s, p));
}
std::unique_ptr<aggregator> make_aggregator(uint32_t s = 0, uint32_t p = 1) {
  return std::make_unique<aggregator>(
      std::make_unique<aggregate_op>(first_of{}, sum<int64_t>(value_of{})), where(s, p));
}

// `n` records over `keys` keys, deterministic, with negative values too.
std::vector<kv> records(size_t n, uint32_t keys, uint32_t seed = 1) {
  std::vector<kv> out;
  uint64_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    out.push_back(
        {"key" + std::to_string((x >> 33) % keys), static_cast<int64_t>((x >> 20) % 21) - 10});
  }
  return out;
}

// Sends the snapshot through the chain-level encoding and back.
detail::operator_snapshot through_bytes(const detail::operator_snapshot& s) {
  auto decoded = decode_snapshots(encode_snapshots({s}));
  EXPECT_TRUE(decoded.ok()) << decoded.error().message();
  if (!decoded.ok() || decoded->size() != 1) return {};
  return decoded->front();
}

// Reduce state survives snapshot, encoding, decoding and restore: the restored operator continues
// with exactly the running sums that an uninterrupted run (a std::map) gives.
TEST(snapshot_keyed, reduce_restored_continues_like_an_uninterrupted_run) {
  auto input = records(1000, 37);
  std::map<std::string, int64_t> sums;
  std::vector<kv> expected;
  for (const auto& r : input) expected.push_back({r.first, sums[r.first] += r.second});

  auto before = make_reducer();
  before->push({input.begin(), input.begin() + 600});
  ASSERT_EQ(before->out.got, std::vector<kv>(expected.begin(), expected.begin() + 600));

  auto after = make_reducer();
  auto st = after->restore({through_bytes(before->snapshot())});
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(after->op->state_entries(), before->op->state_entries());
  after->push({input.begin() + 600, input.end()});
  EXPECT_EQ(after->out.got, std::vector<kv>(expected.begin() + 600, expected.end()));
}

// Aggregate state survives the same round trip: after the rest of the input, finish() emits the
// totals of the whole input, once per key.
TEST(snapshot_keyed, aggregate_restored_finishes_with_whole_input_totals) {
  auto input = records(2000, 101, 7);
  std::map<std::string, int64_t> totals;
  for (const auto& r : input) totals[r.first] += r.second;

  auto before = make_aggregator();
  before->push({input.begin(), input.begin() + 1234});
  auto after = make_aggregator();
  auto st = after->restore({through_bytes(before->snapshot())});
  ASSERT_TRUE(st.ok()) << st.message();
  after->push({input.begin() + 1234, input.end()});
  after->op->finish();
  std::map<std::string, int64_t> got;
  for (const auto& [k, v] : after->out.got) EXPECT_TRUE(got.emplace(k, v).second) << k << " twice";
  EXPECT_EQ(got, totals);
}

// Keyed state is written per key group: every key sits in the string of its own key group, and
// only key groups with keys appear.
TEST(snapshot_keyed, keyed_state_is_written_per_key_group) {
  auto input = records(300, 50, 3);
  auto agg = make_aggregator();
  agg->push(input);
  auto snap = agg->snapshot();
  std::set<uint32_t> groups;
  for (const auto& r : input)
    groups.insert(key_group_of(key_hash<std::string>{}(r.first), max_par));
  std::set<uint32_t> written;
  for (const auto& [kg, bytes] : snap.key_groups) {
    written.insert(kg);
    EXPECT_FALSE(bytes.empty());
  }
  EXPECT_EQ(written, groups);
  EXPECT_TRUE(snap.entries.empty());
}

// Aggregate state of 3 subtasks restored into 2 and into 5: every key ends up exactly once, in
// the subtask that owns its key group at the new parallelism, with its accumulated value.
TEST(snapshot_keyed, aggregate_state_rescales_from_3_to_2_and_5) {
  auto input = records(5000, 400, 11);
  std::map<std::string, int64_t> totals;
  for (const auto& r : input) totals[r.first] += r.second;

  std::vector<std::unique_ptr<aggregator>> old;
  for (uint32_t s = 0; s < 3; ++s) old.push_back(make_aggregator(s, 3));
  for (const auto& r : input) old[owner(r.first, 3)]->push({r});  // as the keyed exchange routes
  snapshots previous;
  for (const auto& a : old) previous.push_back(a->snapshot());

  for (uint32_t q : {2u, 5u}) {
    std::map<std::string, int64_t> got;
    for (uint32_t s = 0; s < q; ++s) {
      auto a = make_aggregator(s, q);
      auto st = a->restore(previous);
      ASSERT_TRUE(st.ok()) << st.message();
      a->op->finish();
      for (const auto& [k, v] : a->out.got) {
        EXPECT_EQ(owner(k, q), s) << k << " restored into the wrong subtask of " << q;
        EXPECT_TRUE(got.emplace(k, v).second) << k << " restored twice at parallelism " << q;
      }
    }
    EXPECT_EQ(got, totals) << "parallelism " << q;
  }
}

// Malformed or mismatched keyed state is an error status, never a crash or a silent partial
// restore: each case names one way the bytes can be wrong.
TEST(snapshot_keyed, keyed_restore_rejects_malformed_state) {
  // A valid key group: "a" -> 5, and the group of "a" and a key group owned by the same subtask
  // (parallelism 1 owns all) that is not the group of "a".
  const std::string key = "a";
  const uint32_t kg = key_group_of(key_hash<std::string>{}(key), max_par);
  const uint32_t other = (kg + 1) % max_par;
  std::string entry = encode(key) + encode(int64_t{5});
  std::string one = "\x01" + entry;
  ASSERT_TRUE(make_aggregator()->restore({{{{kg, one}}, {}}}).ok()) << "the valid case";

  struct bad {
    const char* what;
    snapshots previous;
  };
  std::vector<bad> cases = {
      {"no entry count", {{{{kg, ""}}, {}}}},
      {"count larger than the entries", {{{{kg, "\x02" + entry}}, {}}}},
      {"entry cut short", {{{{kg, one.substr(0, one.size() - 1)}}, {}}}},
      {"bytes after the last entry", {{{{kg, one + "x"}}, {}}}},
      {"key stored under another key group", {{{{other, one}}, {}}}},
      {"the same key twice", {{{{kg, "\x02" + entry + entry}}, {}}}},
      {"key group beyond the max parallelism", {{{{max_par, one}}, {}}}},
      {"operator state entries in a keyed operator", {{{}, {"x"}}}},
      {"the same key group in two snapshots", {{{{kg, one}}, {}}, {{{kg, one}}, {}}}},
  };
  for (const auto& c : cases) {
    auto st = make_aggregator()->restore(c.previous);
    EXPECT_FALSE(st.ok()) << c.what;
    EXPECT_FALSE(st.message().empty()) << c.what;
  }
}

// An operator without state refuses a non-empty snapshot instead of dropping it.
TEST(snapshot_keyed, stateless_operator_refuses_state) {
  detail::map_operator<int, int, int (*)(int)> map([](int x) { return x; });
  detail::operator_snapshot none;
  map.snapshot(none);
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(map.restore({{}, {}}, where(0, 1)).ok());
  EXPECT_FALSE(map.restore({{{}, {"x"}}}, where(0, 1)).ok());
}

// --- sources ---------------------------------------------------------------

// A source operator wired to a capture.
template <class T>
struct source_harness {
  std::unique_ptr<detail::source_operator<T>> op;
  capture<T> out;
  subtask_info info;
  bool end = false;

  source_harness(std::unique_ptr<source_reader<T>> reader, subtask_info i)
      : op(std::make_unique<detail::source_operator<T>>(std::move(reader))), info(std::move(i)) {
    op->connect(static_cast<detail::input_port<T>*>(&out));
    auto st = op->open(info);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  // Polls until `n` records (or the end), `per_poll` at a time.
  void read(size_t n, size_t per_poll = 7) {
    uint64_t emitted = 0;
    while (emitted < n && !end) {
      auto st = op->poll(std::min(per_poll, static_cast<size_t>(n - emitted)), emitted, end);
      ASSERT_TRUE(st.ok()) << st.message();
    }
  }
  void read_all() { read(std::numeric_limits<size_t>::max()); }
  detail::operator_snapshot snapshot() const {
    detail::operator_snapshot s;
    op->snapshot(s);
    return s;
  }
};

class snapshot_text_source : public ::testing::Test {
 protected:
  testing::temp_dir tmp_;

  // Writes file `name` with `lines` lines "name:i..."; returns the lines (records).
  strings write(const std::string& name, size_t lines, size_t width, const std::string& eol,
                bool final_eol) {
    strings recs;
    std::string content;
    for (size_t i = 0; i < lines; ++i) {
      recs.push_back(name + ":" + std::to_string(i) + std::string(i * 13 % width, 'x'));
      content += recs.back();
      if (i + 1 < lines || final_eol) content += eol;
    }
    testing::write_file(tmp_ / name, content);
    return recs;
  }

  std::unique_ptr<source_harness<std::string>> reader(uint32_t s, uint32_t p) {
    return std::make_unique<source_harness<std::string>>(text_file_source(paths_).create(),
                                                         where(s, p));
  }

  void SetUp() override {
    files_ = {write("f0", 50, 40, "\n", true), write("f1", 30, 20, "\r\n", false),
              // Over 1 MiB: positions beyond the first read block.
              write("f2", 15000, 200, "\n", true)};
    for (const auto& f : {"f0", "f1", "f2"}) paths_.push_back(tmp_ / f);
  }

  std::vector<strings> files_;
  strings paths_;
};

// The records of `file` among `got`, in their order.
strings of_file(const strings& got, const std::string& file) {
  strings out;
  for (const auto& r : got)
    if (r.compare(0, file.size() + 1, file + ":") == 0) out.push_back(r);
  return out;
}

// Part of 3 files read at parallelism 2, positions restored at parallelism 1 and 3: the records
// before and after together are each file's lines exactly once, in file order.
TEST_F(snapshot_text_source, resumes_every_file_once_at_another_parallelism) {
  // (records read by subtask 0, by subtask 1) before the snapshot.
  const std::vector<std::pair<size_t, size_t>> cuts = {{0, 0},   {20, 12},  {50, 30},
                                                       {70, 29}, {5000, 1}, {15050, 30}};
  for (auto [n0, n1] : cuts) {
    for (uint32_t q : {1u, 3u}) {
      SCOPED_TRACE("cut " + std::to_string(n0) + "/" + std::to_string(n1) + ", parallelism " +
                   std::to_string(q));
      auto s0 = reader(0, 2), s1 = reader(1, 2);
      s0->read(n0);
      s1->read(n1);
      snapshots previous{through_bytes(s0->snapshot()), through_bytes(s1->snapshot())};
      EXPECT_EQ(previous[0].entries.size(), 2u) << "one position per split";
      EXPECT_EQ(previous[1].entries.size(), 1u);
      strings before = s0->out.got, after;
      before.insert(before.end(), s1->out.got.begin(), s1->out.got.end());
      for (uint32_t s = 0; s < q; ++s) {
        auto r = reader(s, q);
        auto st = r->op->restore(previous, r->info);
        ASSERT_TRUE(st.ok()) << st.message();
        r->read_all();
        EXPECT_TRUE(r->end);
        after.insert(after.end(), r->out.got.begin(), r->out.got.end());
      }
      for (size_t f = 0; f < files_.size(); ++f) {
        auto name = "f" + std::to_string(f);
        auto got = of_file(before, name);
        auto rest = of_file(after, name);
        got.insert(got.end(), rest.begin(), rest.end());
        EXPECT_EQ(got, files_[f]) << name;
      }
      EXPECT_EQ(before.size() + after.size(), 50u + 30u + 15000u);
    }
  }
}

// Positions that do not fit the source's files are refused: another file list, a missing split,
// malformed bytes; a file shorter than its position fails the poll that opens it.
TEST_F(snapshot_text_source, refuses_positions_that_do_not_fit) {
  auto s0 = reader(0, 2), s1 = reader(1, 2);
  s0->read(60);
  s1->read(10);
  snapshots previous{s0->snapshot(), s1->snapshot()};

  auto other = std::make_unique<source_harness<std::string>>(
      text_file_source({paths_[1], paths_[0], paths_[2]}).create(), where(0, 1));
  EXPECT_FALSE(other->op->restore(previous, other->info).ok()) << "files reordered";

  auto r = reader(0, 1);
  EXPECT_FALSE(r->op->restore({previous[0]}, r->info).ok()) << "split of subtask 1 missing";
  r = reader(0, 1);
  EXPECT_FALSE(r->op->restore({previous[0], previous[1], previous[1]}, r->info).ok())
      << "a split twice";
  r = reader(0, 1);
  EXPECT_FALSE(r->op->restore({{{}, {"garbage"}}}, r->info).ok()) << "malformed entry";
  r = reader(0, 1);
  EXPECT_FALSE(r->op->restore({{{{0, "x"}}, {}}}, r->info).ok()) << "keyed state in a source";

  // f2 (read 10 lines into) shrinks to 5 bytes before the restored reader reaches it.
  testing::write_file(paths_[2], "short");
  r = reader(0, 1);
  ASSERT_TRUE(r->op->restore(previous, r->info).ok());
  uint64_t emitted = 0;
  status st;
  while (st.ok() && !r->end) st = r->op->poll(1000, emitted, r->end);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(paths_[2]), std::string::npos) << st.message();
}

// --- generator ---------------------------------------------------------------

std::unique_ptr<source_harness<uint64_t>> generator(uint64_t count, uint32_t s, uint32_t p) {
  return std::make_unique<source_harness<uint64_t>>(
      generator_source<uint64_t>(count, [](uint64_t i) { return i; }).create(), where(s, p));
}

// Reads `take[s]` records from each subtask of the generators, then snapshots them all.
snapshots read_and_snapshot(std::vector<std::unique_ptr<source_harness<uint64_t>>>& gens,
                            const std::vector<size_t>& take, std::vector<uint64_t>& emitted) {
  snapshots out;
  for (size_t s = 0; s < gens.size(); ++s) {
    gens[s]->read(take[s], 5);
    out.push_back(through_bytes(gens[s]->snapshot()));
    emitted.insert(emitted.end(), gens[s]->out.got.begin(), gens[s]->out.got.end());
  }
  return out;
}

// Restores `previous` into q fresh subtasks of a generator.
std::vector<std::unique_ptr<source_harness<uint64_t>>> restored(uint64_t count, uint32_t q,
                                                                const snapshots& previous) {
  std::vector<std::unique_ptr<source_harness<uint64_t>>> gens;
  for (uint32_t s = 0; s < q; ++s) {
    gens.push_back(generator(count, s, q));
    auto st = gens.back()->op->restore(previous, gens.back()->info);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  return gens;
}

// Every subtask emits its indices in increasing order, and all of them together emit every index
// below `count` exactly once.
void expect_exactly_once(const std::vector<uint64_t>& emitted, uint64_t count) {
  std::vector<uint64_t> sorted = emitted;
  std::sort(sorted.begin(), sorted.end());
  std::vector<uint64_t> all(count);
  for (uint64_t i = 0; i < count; ++i) all[i] = i;
  EXPECT_EQ(sorted, all);
}

// A generator read in part at parallelism 2 and restored at 3, and at 3 restored at 1, emits every
// index once; so does 2 -> 3 -> 1 with reading in between.
TEST(snapshot_generator, resumes_every_index_once_at_another_parallelism) {
  constexpr uint64_t count = 1009;
  struct scenario {
    uint32_t from;
    std::vector<size_t> take;
    uint32_t to;
  };
  for (const auto& sc : std::vector<scenario>{{2, {137, 401}, 3},
                                              {2, {0, 504}, 3},
                                              {3, {10, 200, 336}, 1},
                                              {3, {0, 0, 0}, 1},
                                              {2, {505, 504}, 3},
                                              {4, {1, 2, 3, 250}, 6}}) {
    SCOPED_TRACE(std::to_string(sc.from) + " -> " + std::to_string(sc.to));
    std::vector<std::unique_ptr<source_harness<uint64_t>>> old;
    for (uint32_t s = 0; s < sc.from; ++s) old.push_back(generator(count, s, sc.from));
    std::vector<uint64_t> emitted;
    auto previous = read_and_snapshot(old, sc.take, emitted);
    for (auto& g : restored(count, sc.to, previous)) {
      g->read_all();
      EXPECT_TRUE(g->end);
      EXPECT_TRUE(std::is_sorted(g->out.got.begin(), g->out.got.end()));
      for (auto i : g->out.got) EXPECT_EQ(i % sc.to, g->info.subtask) << i;
      emitted.insert(emitted.end(), g->out.got.begin(), g->out.got.end());
    }
    expect_exactly_once(emitted, count);
  }

  // 2 -> 3 -> 1 -> 2, reading part of the input at every step.
  std::vector<std::unique_ptr<source_harness<uint64_t>>> gens;
  for (uint32_t s = 0; s < 2; ++s) gens.push_back(generator(count, s, 2));
  std::vector<uint64_t> emitted;
  auto previous = read_and_snapshot(gens, {100, 33}, emitted);
  gens = restored(count, 3, previous);
  previous = read_and_snapshot(gens, {50, 7, 120}, emitted);
  gens = restored(count, 1, previous);
  previous = read_and_snapshot(gens, {99}, emitted);
  gens = restored(count, 2, previous);
  for (auto& g : gens) {
    g->read_all();
    emitted.insert(emitted.end(), g->out.got.begin(), g->out.got.end());
  }
  expect_exactly_once(emitted, count);
}

// A snapshot taken before any record, restored at another parallelism, gives each new subtask the
// same indices a fresh start at that parallelism does.
TEST(snapshot_generator, snapshot_at_start_restores_the_fresh_layout) {
  constexpr uint64_t count = 100;
  std::vector<std::unique_ptr<source_harness<uint64_t>>> old;
  for (uint32_t s = 0; s < 2; ++s) old.push_back(generator(count, s, 2));
  std::vector<uint64_t> none;
  auto previous = read_and_snapshot(old, {0, 0}, none);
  auto gens = restored(count, 3, previous);
  for (uint32_t s = 0; s < 3; ++s) {
    gens[s]->read_all();
    std::vector<uint64_t> expected;
    for (uint64_t i = s; i < count; i += 3) expected.push_back(i);
    EXPECT_EQ(gens[s]->out.got, expected) << "subtask " << s;
  }
}

// A finished generator's snapshot restores to nothing (not to a new start), while no snapshot at
// all starts from the beginning.
TEST(snapshot_generator, finished_is_not_the_same_as_no_state) {
  auto g = generator(10, 0, 1);
  g->read_all();
  ASSERT_EQ(g->out.got.size(), 10u);
  auto snap = through_bytes(g->snapshot());
  EXPECT_TRUE(snap.entries.empty()) << "no progression left";

  auto after = restored(10, 2, {snap});
  for (auto& r : after) {
    r->read_all();
    EXPECT_TRUE(r->end);
    EXPECT_TRUE(r->out.got.empty());
  }
  auto fresh = restored(10, 1, {});
  fresh[0]->read_all();
  EXPECT_EQ(fresh[0]->out.got.size(), 10u);
}

// A malformed generator position, or the same positions twice, is an error status.
TEST(snapshot_generator, refuses_malformed_positions) {
  auto g = generator(10, 0, 1);
  EXPECT_FALSE(g->op->restore({{{}, {"short"}}}, g->info).ok());
  auto zero_stride = encode(std::pair<uint64_t, uint64_t>{3, 0});
  EXPECT_FALSE(g->op->restore({{{}, {zero_stride}}}, g->info).ok());
  auto twice = generator(10, 0, 1);
  twice->read(3);
  auto snap = twice->snapshot();
  g = generator(10, 0, 1);
  EXPECT_FALSE(g->op->restore({snap, snap}, g->info).ok()) << "the same positions twice";
}

// Restricting a progression to each residue modulo q partitions its indices, also next to the
// top of the 64-bit range (no overflow).
TEST(snapshot_generator, residue_parts_partition_a_progression) {
  // The indices of (next, stride) below count, listed one by one.
  auto indices = [](detail::index_progression p, uint64_t count) {
    std::vector<uint64_t> out;
    for (uint64_t i = p.next; i < count; i += p.stride) {
      out.push_back(i);
      if (count - i <= p.stride) break;
    }
    return out;
  };
  const uint64_t top = std::numeric_limits<uint64_t>::max();
  struct c {
    uint64_t next, stride, count;
  };
  for (auto [next, stride, count] : std::vector<c>{{0, 1, 100},
                                                   {5, 3, 100},
                                                   {7, 6, 200},
                                                   {1, 10, 97},
                                                   {50, 7, 51},
                                                   {0, 200, 150},
                                                   {top - 40, 3, top},
                                                   {top - 100, 12, top},
                                                   {3, top - 5, top}}) {
    for (uint32_t q = 1; q <= 12; ++q) {
      std::vector<uint64_t> parts;
      for (uint32_t s = 0; s < q; ++s) {
        detail::index_progression part;
        if (!detail::restrict_to_residue({next, stride}, count, s, q, part)) continue;
        auto got = indices(part, count);
        for (auto i : got) EXPECT_EQ(i % q, s) << next << "/" << stride << " q=" << q;
        parts.insert(parts.end(), got.begin(), got.end());
      }
      std::sort(parts.begin(), parts.end());
      EXPECT_EQ(parts, indices({next, stride}, count)) << next << "/" << stride << " q=" << q;
    }
  }
}

// --- encoding -----------------------------------------------------------------

snapshots sample() {
  detail::operator_snapshot keyed;
  keyed.key_groups[3] = "abc";
  keyed.key_groups[77] = std::string("\0\1\2", 3);
  detail::operator_snapshot entries;
  entries.entries = {"one", "", std::string(1000, 'z')};
  return {keyed, {}, entries};
}

// Snapshots come back from their encoding unchanged, empty ones and empty lists included.
TEST(snapshot_encoding, round_trips) {
  for (const auto& s : {sample(), snapshots{}, snapshots(1)}) {
    auto d = decode_snapshots(encode_snapshots(s));
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(d.value(), s);
  }
}

// Every flipped byte, every truncation and an appended byte are detected as damage.
TEST(snapshot_encoding, detects_every_damaged_byte) {
  const auto bytes = encode_snapshots(sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    auto d = decode_snapshots(damaged);
    ASSERT_FALSE(d.ok()) << "flipped byte " << i << " of " << bytes.size();
    EXPECT_EQ(d.error().code(), errc::io_error);
  }
  for (size_t n = 0; n < bytes.size(); ++n)
    ASSERT_FALSE(decode_snapshots(bytes.substr(0, n)).ok()) << "cut to " << n << " bytes";
  EXPECT_FALSE(decode_snapshots(bytes + '\0').ok());
  EXPECT_FALSE(decode_snapshots("not a snapshot at all, just some text").ok());
}

// --- task chains ----------------------------------------------------------------

// source(words) -> key_by(word).aggregate(count) ["count", parallelism `p`] -> sink [parallelism 1]
detail::graph count_graph(uint32_t p) {
  detail::graph g;
  job j(g);
  j.source(generator_source<std::string>(0, [](uint64_t i) { return "w" + std::to_string(i); }))
      .key_by([](const std::string& w) { return w; })
      .aggregate(count())
      .name("count")
      .parallelism(p)
      .sink(stdout_sink<std::pair<std::string, uint64_t>>())
      .parallelism(1);
  return g;
}

class recording_emitter final : public detail::batch_emitter {
 public:
  void emit(uint32_t, std::shared_ptr<detail::record_batch> batch) override {
    for (auto& r :
         static_cast<detail::typed_batch<std::pair<std::string, uint64_t>>&>(*batch).records)
      got.push_back(r);
  }
  std::vector<std::pair<std::string, uint64_t>> got;
};

std::unique_ptr<task_chain> chain_of(const detail::graph& g, uint32_t vertex, uint32_t subtask,
                                     detail::batch_emitter* em) {
  auto plan = make_plan(g, "test", {2, max_par});
  EXPECT_TRUE(plan.ok());
  if (!plan.ok()) return nullptr;
  auto c = task_chain::build(g, plan.value(), vertex, subtask, em, {});
  EXPECT_TRUE(c.ok()) << c.error().message();
  if (!c.ok()) return nullptr;
  auto st = c.value()->open();
  EXPECT_TRUE(st.ok()) << st.message();
  return std::move(c.value());
}

// A chain snapshots one state per operator of its vertex (not its writers), and a chain of
// another parallelism restored from all of them counts on from there.
TEST(snapshot_chain, restores_a_rescaled_chain) {
  strings words;
  for (int i = 0; i < 500; ++i) words.push_back("w" + std::to_string(i * i % 97));
  std::map<std::string, uint64_t> expected;
  for (const auto& w : words) expected[w] += 2;  // every word is sent twice: before and after

  auto g3 = count_graph(3);
  recording_emitter unused;
  std::vector<std::vector<detail::operator_snapshot>> per_operator(1);
  for (uint32_t s = 0; s < 3; ++s) {
    auto c = chain_of(g3, 1, s, &unused);
    ASSERT_TRUE(c);
    ASSERT_EQ(c->nodes(), std::vector<uint32_t>{1});
    detail::typed_batch<std::string> b;
    for (const auto& w : words)
      if (owner(w, 3) == s) b.records.push_back(w);
    c->process(0, b);
    auto snaps = c->snapshot();
    ASSERT_EQ(snaps.size(), 1u);
    auto d = decode_snapshots(encode_snapshots(snaps));
    ASSERT_TRUE(d.ok());
    per_operator[0].push_back(d->front());
  }
  EXPECT_TRUE(unused.got.empty());

  auto g2 = count_graph(2);
  std::map<std::string, uint64_t> got;
  for (uint32_t s = 0; s < 2; ++s) {
    recording_emitter em;
    auto c = chain_of(g2, 1, s, &em);
    ASSERT_TRUE(c);
    auto st = c->restore(per_operator);
    ASSERT_TRUE(st.ok()) << st.message();
    detail::typed_batch<std::string> b;
    for (const auto& w : words)
      if (owner(w, 2) == s) b.records.push_back(w);
    c->process(0, b);
    c->finish();
    for (const auto& [w, n] : em.got) EXPECT_TRUE(got.emplace(w, n).second) << w;
  }
  EXPECT_EQ(got, expected);
}

// A chain refuses a snapshot with another number of operators, and an operator refuses state it
// cannot hold; the message names the task and the operator.
TEST(snapshot_chain, refuses_mismatched_snapshots) {
  auto g = count_graph(3);
  recording_emitter em;
  auto c = chain_of(g, 1, 0, &em);
  ASSERT_TRUE(c);
  auto st = c->restore({{}, {}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("count (1/3)"), std::string::npos) << st.message();

  auto sink = chain_of(g, 2, 0, &em);
  ASSERT_TRUE(sink);
  st = sink->restore({{{{}, {"position"}}}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("stdout"), std::string::npos) << st.message();
  EXPECT_TRUE(sink->restore({{}}).ok()) << "no earlier state";
}

}  // namespace
}  // namespace nagare
