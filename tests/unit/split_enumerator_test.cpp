// Split enumerators and the assigner: the built-in kinds the job master runs
// (static, directory), their snapshots, the registry's errors, and the
// readers' side of the split contract.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "nagare/detail/operators.hpp"
#include "nagare/job.hpp"
#include "nagare/sink.hpp"
#include "nagare/source.hpp"
#include "plan.hpp"
#include "process.hpp"
#include "source/directory_enumerator.hpp"
#include "source/split_assigner.hpp"
#include "source/split_enumerator.hpp"
#include "source/static_enumerator.hpp"
#include "split_support.hpp"

namespace nagare {
namespace {

using strings = std::vector<std::string>;

strings ids(const std::vector<source_split>& splits) {
  strings out;
  for (const auto& s : splits) out.push_back(s.id);
  return out;
}

source_split split(const std::string& id) { return {id, "", std::nullopt}; }

// Split i goes to subtask i % p, in discovery order, across calls.
TEST(split_assigner, deals_round_robin_in_discovery_order) {
  split_assigner a(3);
  auto first = a.assign({split("a"), split("b")});
  auto second = a.assign({split("c"), split("d"), split("e")});
  EXPECT_EQ(ids(first[0]), strings{"a"});
  EXPECT_EQ(ids(first[1]), strings{"b"});
  EXPECT_TRUE(first[2].empty());
  EXPECT_EQ(ids(second[0]), strings{"d"});
  EXPECT_EQ(ids(second[1]), strings{"e"});
  EXPECT_EQ(ids(second[2]), strings{"c"});
  EXPECT_EQ(a.assigned(), 5u);
}

// The static kind returns its listed splits once and is finished at once;
// its snapshot restores the same list (not the new config's).
TEST(static_enumerator, lists_once_and_restores_its_snapshot) {
  std::vector<source_split> listed = {{"0", "s0", std::nullopt}, {"1", "s1", std::string("e1")}};
  auto e = make_split_enumerator("static", static_enumerator_config(listed));
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_TRUE(e.value()->discovery_finished());
  auto found = e.value()->discover();
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value(), listed);
  EXPECT_TRUE(e.value()->discover().value().empty());
  auto other = make_split_enumerator("static", static_enumerator_config({split("x")}));
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other.value()->restore(e.value()->snapshot()).ok());
  EXPECT_EQ(other.value()->discover().value(), listed);
  EXPECT_FALSE(other.value()->restore("garbage").ok());
}

class directory_enumerator_test : public ::testing::Test {
 protected:
  testing::temp_dir tmp_;
  std::unique_ptr<split_enumerator> make(bool bounded) {
    auto e = make_split_enumerator("directory", directory_enumerator_config(tmp_.path(), bounded));
    EXPECT_TRUE(e.ok()) << e.error().message();
    return e.ok() ? std::move(e.value()) : nullptr;
  }
  std::string file(const std::string& name) {
    testing::write_file(tmp_ / name, name + "\n");
    return tmp_ / name;
  }
};

// Files that appear between calls are new splits, sorted by path; hidden
// ('.') and internal ('_') names are ignored; an unbounded one never finishes.
TEST_F(directory_enumerator_test, finds_new_files_in_path_order) {
  auto e = make(false);
  auto b = file("b.txt"), a = file("a.txt");
  file(".partial.txt");
  file("_internal");
  auto first = e->discover();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ids(first.value()), (strings{a, b}));
  EXPECT_TRUE(e->discover().value().empty());
  auto d = file("d.txt"), c = file("c.txt");
  EXPECT_EQ(ids(e->discover().value()), (strings{c, d}));
  EXPECT_FALSE(e->discovery_finished());
  // The start position is (path, 0), as the text file reader reads it.
  EXPECT_EQ(first.value()[0].start, encode(std::pair<std::string, uint64_t>(a, 0)));
}

// A restored enumerator first returns every split it knew (in discovery
// order, to be re-dealt), then files added since; none twice.
TEST_F(directory_enumerator_test, snapshot_keeps_known_splits) {
  auto e = make(false);
  auto b = file("b"), a = file("a");
  ASSERT_TRUE(e->discover().ok());
  auto c = file("c");
  ASSERT_TRUE(e->discover().ok());
  auto snap = e->snapshot();
  auto aa = file("aa");  // sorts before c, found after it
  auto restored = make(false);
  ASSERT_TRUE(restored->restore(snap).ok());
  EXPECT_EQ(ids(restored->discover().value()), (strings{a, b, c, aa}));
  EXPECT_TRUE(restored->discover().value().empty());
  EXPECT_FALSE(restored->restore("garbage").ok());
}

// Bounded: the files present at the first call, then finished, also after a restore.
TEST_F(directory_enumerator_test, bounded_takes_the_files_present_at_start) {
  auto e = make(true);
  auto a = file("a");
  EXPECT_FALSE(e->discovery_finished());
  EXPECT_EQ(ids(e->discover().value()), strings{a});
  EXPECT_TRUE(e->discovery_finished());
  file("b");
  EXPECT_TRUE(e->discover().value().empty());
  auto restored = make(true);
  ASSERT_TRUE(restored->restore(e->snapshot()).ok());
  EXPECT_TRUE(restored->discovery_finished());
  EXPECT_EQ(ids(restored->discover().value()), strings{a});
}

// A directory that cannot be listed is an error status, and the restored
// splits not handed out yet come with the next call that succeeds.
TEST_F(directory_enumerator_test, discovery_error_is_retried) {
  testing::temp_dir other;
  auto sub = other / "sub";
  auto e = make_split_enumerator("directory", directory_enumerator_config(sub, false));
  EXPECT_FALSE(e.ok()) << "no such directory";
  ::mkdir(sub.c_str(), 0755);
  testing::write_file(sub + "/x", "1\n");
  e = make_split_enumerator("directory", directory_enumerator_config(sub, false));
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e.value()->discover().value().size(), 1u);
  auto snap = e.value()->snapshot();
  auto restored = make_split_enumerator("directory", directory_enumerator_config(sub, false));
  ASSERT_TRUE(restored.ok());
  ASSERT_TRUE(restored.value()->restore(snap).ok());
  std::remove((sub + "/x").c_str());
  ::rmdir(sub.c_str());
  EXPECT_FALSE(restored.value()->discover().ok());
  ::mkdir(sub.c_str(), 0755);
  EXPECT_EQ(ids(restored.value()->discover().value()), strings{sub + "/x"})
      << "the restored split, not lost by the failed call";
}

TEST(split_enumerator_registry, errors_are_one_line) {
  auto unknown = make_split_enumerator("pulsar", "");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(),
            "unknown split enumerator kind 'pulsar' (built in: static, directory, kafka, redis)");
  auto bad_kafka = make_split_enumerator("kafka", "");
  ASSERT_FALSE(bad_kafka.ok());
  EXPECT_EQ(bad_kafka.error().message(), "malformed configuration of a kafka split enumerator");
  auto bad = make_split_enumerator("static", "\x05");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "malformed config of a static split enumerator");
  auto bad_dir = make_split_enumerator("directory", "");
  ASSERT_FALSE(bad_dir.ok());
  EXPECT_EQ(bad_dir.error().message().find('\n'), std::string::npos);
}

// Collects what a reader emits.
template <class T>
struct capture final : detail::input_port<T> {
  void push(T& r) override { got.push_back(r); }
  std::vector<T> got;
};

// The reader's side: a split added after a restore starts at its restored
// position; a split without one at its start; the source ends only after
// no_more_splits().
TEST(split_reader, restored_position_then_end_after_no_more_splits) {
  testing::temp_dir tmp;
  testing::write_file(tmp / "a", "a1\na2\na3\n");
  testing::write_file(tmp / "b", "b1\nb2\n");
  auto source = text_file_source::monitor(tmp.path());
  subtask_info info;
  // First run: read a wholly, note the positions.
  auto first = source.create();
  ASSERT_TRUE(first->open(info).ok());
  auto split_a =
      source_split{tmp / "a", encode(std::pair<std::string, uint64_t>(tmp / "a", 0)), std::nullopt};
  auto split_b =
      source_split{tmp / "b", encode(std::pair<std::string, uint64_t>(tmp / "b", 0)), std::nullopt};
  first->add_splits({split_a});
  capture<std::string> out1;
  collector<std::string> c1(&out1);
  bool end = false;
  ASSERT_TRUE(first->poll(2, c1, end).ok());
  EXPECT_EQ(out1.got, (strings{"a1", "a2"}));
  EXPECT_FALSE(end);
  std::vector<std::string> positions;
  first->positions(positions);
  ASSERT_EQ(positions.size(), 1u);
  // Restored: a goes on after a2, b (never read) from its start.
  auto second = source.create();
  ASSERT_TRUE(second->open(info).ok());
  ASSERT_TRUE(second->restore(positions, info).ok());
  second->add_splits({split_b, split_a});
  capture<std::string> out2;
  collector<std::string> c2(&out2);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(second->poll(100, c2, end).ok());
    EXPECT_FALSE(end) << "no no_more_splits() yet: unbounded";
  }
  std::sort(out2.got.begin(), out2.got.end());
  EXPECT_EQ(out2.got, (strings{"a3", "b1", "b2"}));
  second->no_more_splits();
  ASSERT_TRUE(second->poll(100, c2, end).ok());
  EXPECT_TRUE(end);
}

// The generator on the split contract: one split per subtask of the first
// run; restored at another parallelism the splits are dealt out whole, and
// every index comes once.
TEST(split_reader, generator_rescaled_splits_whole) {
  generator_source<uint64_t> gen(100, [](uint64_t i) { return i; });
  std::vector<std::string> positions;
  std::vector<uint64_t> got;
  for (uint32_t s = 0; s < 2; ++s) {
    auto r = gen.create();
    subtask_info info;
    info.subtask = s;
    info.parallelism = 2;
    ASSERT_TRUE(r->open(info).ok());
    testing::give_splits(*r, testing::splits_of(gen, s, 2));
    capture<uint64_t> out;
    collector<uint64_t> c(&out);
    bool end = false;
    ASSERT_TRUE(r->poll(10, c, end).ok());
    got.insert(got.end(), out.got.begin(), out.got.end());
    r->positions(positions);
  }
  for (uint32_t s = 0; s < 3; ++s) {
    auto r = gen.create();
    subtask_info info;
    info.subtask = s;
    info.parallelism = 3;
    ASSERT_TRUE(r->open(info).ok());
    ASSERT_TRUE(r->restore(positions, info).ok());
    auto splits = testing::splits_of(gen, s, 3, 2);
    EXPECT_EQ(splits.size(), s < 2 ? 1u : 0u) << "whole splits of the first run";
    testing::give_splits(*r, splits);
    capture<uint64_t> out;
    collector<uint64_t> c(&out);
    bool end = false;
    while (!end) ASSERT_TRUE(r->poll(7, c, end).ok());
    got.insert(got.end(), out.got.begin(), out.got.end());
  }
  std::sort(got.begin(), got.end());
  std::vector<uint64_t> expected(100);
  for (uint64_t i = 0; i < 100; ++i) expected[i] = i;
  EXPECT_EQ(got, expected);
}

// Watermarks: a split added at run time holds the watermark back until it
// has records; with every split finished and more to come, the source is idle.
TEST(split_reader, added_split_joins_the_watermark) {
  testing::temp_dir tmp;
  testing::write_file(tmp / "a", "5\n6\n");
  testing::write_file(tmp / "b", "1\n");
  auto strategy = watermark_strategy<std::string>::bounded_out_of_orderness(
      0, [](const std::string& s) { return static_cast<int64_t>(std::stoll(s)); });
  detail::source_operator<std::string> op(text_file_source::monitor(tmp.path()).create(), strategy);
  capture<std::string> out;
  op.connect(static_cast<detail::input_port<std::string>*>(&out));
  subtask_info info;
  ASSERT_TRUE(op.open(info).ok());
  auto pos = [&](const std::string& f) { return encode(std::pair<std::string, uint64_t>(f, 0)); };
  op.add_splits({{tmp / "a", pos(tmp / "a"), std::nullopt}}, false);
  uint64_t emitted = 0;
  bool end = false;
  ASSERT_TRUE(op.poll(1, emitted, end).ok());  // "5"
  EXPECT_EQ(op.current_watermark(), 4);
  op.add_splits({{tmp / "b", pos(tmp / "b"), std::nullopt}}, false);
  ASSERT_TRUE(op.poll(1, emitted, end).ok());  // "6" from a (round-robin starts at a)
  EXPECT_EQ(op.current_watermark(), 4) << "b holds it back until it has records";
  ASSERT_TRUE(op.poll(10, emitted, end).ok());  // "1" from b, both finished
  EXPECT_FALSE(end);
  ASSERT_TRUE(op.poll(10, emitted, end).ok());
  EXPECT_TRUE(op.idle()) << "every split finished, more may come";
  op.add_splits({}, true);
  ASSERT_TRUE(op.poll(10, emitted, end).ok());
  EXPECT_TRUE(end);
}

// The plan carries a source's enumerator as data, through its FlatBuffers
// form; a source without one has none.
TEST(split_plan, enumerator_travels_in_the_plan) {
  testing::temp_dir tmp;
  detail::graph g;
  job j(g);
  j.source(text_file_source::monitor(tmp.path(), 250)).uid("dir").sink(stdout_sink<std::string>());
  auto p = make_plan(g, "t", {3, 128});
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto decoded = decode_plan(encode_plan(p.value()));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  const auto& v = decoded.value().vertices[0];
  ASSERT_TRUE(v.enumerator.has_value());
  EXPECT_EQ(v.enumerator->kind, "directory");
  EXPECT_EQ(v.enumerator->config, directory_enumerator_config(tmp.path(), false));
  EXPECT_EQ(v.enumerator->discovery_interval_ms, 250u);
  EXPECT_FALSE(v.enumerator->bounded);
  EXPECT_EQ(v.enumerator_key, "dir");

  detail::graph g2;
  job j2(g2);
  struct legacy {  // a user-written source without enumerator(): the static contract
    using record_type = std::string;
    std::string name() const { return "legacy"; }
    status validate() const { return {}; }
    std::unique_ptr<source_reader<std::string>> create() const { return nullptr; }
  };
  j2.source(legacy{}).sink(stdout_sink<std::string>());
  auto p2 = make_plan(g2, "t", {1, 128});
  ASSERT_TRUE(p2.ok());
  EXPECT_FALSE(decode_plan(encode_plan(p2.value())).value().vertices[0].enumerator.has_value());
}

}  // namespace
}  // namespace nagare
