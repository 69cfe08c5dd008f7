// Source positions as redistributable entries: the text file source and the
// generator resume every record exactly once, also at another parallelism.
#include "snapshot_support.hpp"

#include "process.hpp"
#include "split_support.hpp"

namespace nagare {
namespace {

using namespace snapshot_testing;

// A source operator wired to a capture.
template <class T>
struct source_harness {
  std::unique_ptr<detail::source_operator<T>> op;
  capture<T> out;
  subtask_info info;
  bool end = false;

  // `splits`: what the job master deals this subtask (split contract); it
  // gets them before its first poll, after any restore.
  source_harness(owned<source_reader<T>> reader, subtask_info i, std::vector<source_split> splits)
      : op(std::make_unique<detail::source_operator<T>>(std::move(reader))),
        info(std::move(i)),
        splits_(std::move(splits)) {
    op->connect(static_cast<detail::input_port<T>*>(&out));
    auto st = op->open(info);
    EXPECT_TRUE(st.ok()) << st.message();
  }
  void deal() {
    if (dealt_) return;
    dealt_ = true;
    op->add_splits(splits_, true);
  }
  // Polls until `n` records (or the end), `per_poll` at a time.
  void read(size_t n, size_t per_poll = 7) {
    deal();
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

 private:
  std::vector<source_split> splits_;
  bool dealt_ = false;
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
    return std::make_unique<source_harness<std::string>>(
        text_file_source(paths_).create(), where(s, p),
        testing::splits_of(text_file_source(paths_), s, p));
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

// Positions that do not fit the source's files are refused: a split twice, malformed bytes,
// keyed state; a file shorter than its position fails the poll that opens it. (On the split
// contract a split without a restored position is not an error: it was assigned after the
// checkpoint, and starts at its beginning.)
TEST_F(snapshot_text_source, refuses_positions_that_do_not_fit) {
  auto s0 = reader(0, 2), s1 = reader(1, 2);
  s0->read(60);
  s1->read(10);
  snapshots previous{s0->snapshot(), s1->snapshot()};

  auto r = reader(0, 1);
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
  r->deal();
  uint64_t emitted = 0;
  status st;
  while (st.ok() && !r->end) st = r->op->poll(1000, emitted, r->end);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(paths_[2]), std::string::npos) << st.message();
}

// --- generator ---------------------------------------------------------------

// Subtask s of p of a generator whose first run had parallelism `first` (0: p).
std::unique_ptr<source_harness<uint64_t>> generator(uint64_t count, uint32_t s, uint32_t p,
                                                    uint32_t first = 0) {
  generator_source<uint64_t> gen(count, [](uint64_t i) { return i; });
  return std::make_unique<source_harness<uint64_t>>(gen.create(), where(s, p),
                                                    testing::splits_of(gen, s, p, first));
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
// `first`: the parallelism of the run whose splits these are (the static
// enumerator's snapshot keeps them).
std::vector<std::unique_ptr<source_harness<uint64_t>>> restored(uint64_t count, uint32_t q,
                                                                const snapshots& previous,
                                                                uint32_t first) {
  std::vector<std::unique_ptr<source_harness<uint64_t>>> gens;
  for (uint32_t s = 0; s < q; ++s) {
    gens.push_back(generator(count, s, q, first));
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
// index once; so does 2 -> 3 -> 1 with reading in between. Its splits (split k: the indices
// k mod the first run's parallelism) are dealt whole, split k to subtask k mod the new one.
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
    for (auto& g : restored(count, sc.to, previous, sc.from)) {
      g->read_all();
      EXPECT_TRUE(g->end);
      EXPECT_TRUE(std::is_sorted(g->out.got.begin(), g->out.got.end()));
      for (auto i : g->out.got) EXPECT_EQ(i % sc.from % sc.to, g->info.subtask) << i;
      emitted.insert(emitted.end(), g->out.got.begin(), g->out.got.end());
    }
    expect_exactly_once(emitted, count);
  }

  // 2 -> 3 -> 1 -> 2, reading part of the input at every step.
  std::vector<std::unique_ptr<source_harness<uint64_t>>> gens;
  for (uint32_t s = 0; s < 2; ++s) gens.push_back(generator(count, s, 2));
  std::vector<uint64_t> emitted;
  auto previous = read_and_snapshot(gens, {100, 33}, emitted);
  gens = restored(count, 3, previous, 2);
  previous = read_and_snapshot(gens, {50, 7, 120}, emitted);
  gens = restored(count, 1, previous, 2);
  previous = read_and_snapshot(gens, {99}, emitted);
  gens = restored(count, 2, previous, 2);
  for (auto& g : gens) {
    g->read_all();
    emitted.insert(emitted.end(), g->out.got.begin(), g->out.got.end());
  }
  expect_exactly_once(emitted, count);
}

// A snapshot taken before any record, restored at another parallelism, deals the first run's
// splits whole: subtasks 0 and 1 of 3 read the splits of 0 and 1 of 2, subtask 2 reads nothing.
TEST(snapshot_generator, snapshot_at_start_deals_the_splits_whole) {
  constexpr uint64_t count = 100;
  std::vector<std::unique_ptr<source_harness<uint64_t>>> old;
  for (uint32_t s = 0; s < 2; ++s) old.push_back(generator(count, s, 2));
  std::vector<uint64_t> none;
  auto previous = read_and_snapshot(old, {0, 0}, none);
  auto gens = restored(count, 3, previous, 2);
  for (uint32_t s = 0; s < 3; ++s) {
    gens[s]->read_all();
    std::vector<uint64_t> expected;
    for (uint64_t i = s; s < 2 && i < count; i += 2) expected.push_back(i);
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
  EXPECT_FALSE(snap.entries.empty()) << "a finished split keeps its position";

  auto after = restored(10, 2, {snap}, 1);
  for (auto& r : after) {
    r->read_all();
    EXPECT_TRUE(r->end);
    EXPECT_TRUE(r->out.got.empty());
  }
  auto fresh = restored(10, 1, {}, 1);
  fresh[0]->read_all();
  EXPECT_EQ(fresh[0]->out.got.size(), 10u);
}

// A malformed generator position, or the same positions twice, is an error status.
TEST(snapshot_generator, refuses_malformed_positions) {
  auto g = generator(10, 0, 1);
  EXPECT_FALSE(
      g->op->restore({{{}, {operator_entry("positions", std::string("short"))}}}, g->info).ok());
  auto zero_stride = operator_entry("positions", encode(std::pair<uint64_t, uint64_t>{3, 0}));
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

}  // namespace
}  // namespace nagare
