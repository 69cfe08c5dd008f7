// Watermarks generated in a source: per split, bounded out-of-orderness, the
// minimum over splits that are neither finished nor idle, idleness on an
// injected processing-time clock, and split state restored from a snapshot.
// A scripted reader says exactly which split each record comes from; the
// expected watermarks are worked out by hand in each test (max - B - 1).
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nagare/detail/operators.hpp"
#include "nagare/detail/snapshot.hpp"
#include "nagare/job.hpp"
#include "nagare/watermark.hpp"

namespace nagare {
namespace {

struct event {
  std::string split;
  int64_t ts = 0;
};

// One poll of the script: records of named splits, and splits that end.
struct step {
  step(std::vector<event> r = {}, std::vector<std::string> f = {})
      : records(std::move(r)), finished(std::move(f)) {}
  std::vector<event> records;
  std::vector<std::string> finished;
};

// Emits one step per poll; ends when the script is done.
class scripted_reader final : public source_reader<event> {
 public:
  scripted_reader(std::vector<std::string> splits, std::deque<step> script)
      : splits_(std::move(splits)), script_(std::move(script)) {}
  status open(const subtask_info&) override { return {}; }
  status poll(size_t, collector<event>& out, bool& end) override {
    if (!script_.empty()) {
      auto s = std::move(script_.front());
      script_.pop_front();
      for (auto& r : s.records) {
        if (!r.split.empty()) out.split(r.split);
        out.emit(r);
      }
      for (const auto& f : s.finished) out.split_finished(f);
    }
    end = script_.empty();
    return {};
  }
  void splits(std::vector<std::string>& out) const override {
    out.insert(out.end(), splits_.begin(), splits_.end());
  }

 private:
  std::vector<std::string> splits_;
  std::deque<step> script_;
};

class sink_port final : public detail::input_port<event> {
 public:
  void push(event& r) override { got.push_back(r); }
  std::vector<event> got;
};

int64_t ts_of(const event& e) { return e.ts; }

watermark_strategy<event> bounded(int64_t b, int64_t idleness = 0) {
  return watermark_strategy<event>::bounded_out_of_orderness(b, ts_of).with_idleness(idleness);
}

// A source operator over a scripted reader, polled step by step.
struct source {
  sink_port out;
  std::unique_ptr<detail::source_operator<event>> op;
  bool end = false;

  source(std::vector<std::string> splits, std::deque<step> script,
         watermark_strategy<event> strategy) {
    op = std::make_unique<detail::source_operator<event>>(
        std::make_unique<scripted_reader>(std::move(splits), std::move(script)), strategy);
    op->connect(static_cast<detail::input_port<event>*>(&out));
    EXPECT_TRUE(op->open(subtask_info{}).ok());
    EXPECT_TRUE(op->restore({}, subtask_info{}).ok());
  }
  // One poll at processing time `now`; the watermark after it.
  int64_t poll(int64_t now = 0) {
    op->on_processing_time(now);
    uint64_t emitted = 0;
    auto st = op->poll(1000, emitted, end);
    EXPECT_TRUE(st.ok()) << st.message();
    return op->current_watermark();
  }
};

// One split: the watermark is the largest timestamp so far minus B minus 1,
// and a record older than that does not move it back.
TEST(watermark_source, bounded_out_of_orderness_trails_the_largest_timestamp) {
  source s({}, {{{{"", 100}, {"", 90}}}, {{{"", 130}, {"", 95}}}, {{{"", 50}}}, {}}, bounded(10));
  EXPECT_EQ(s.op->current_watermark(), min_timestamp) << "nothing seen yet";
  EXPECT_EQ(s.poll(), 89);   // max 100
  EXPECT_EQ(s.poll(), 119);  // max 130
  EXPECT_EQ(s.poll(), 119);  // 50 is late; the watermark stays
  EXPECT_EQ(s.out.got.size(), 5u) << "late records are emitted all the same";
  EXPECT_FALSE(s.op->idle());
}

// Monotonous timestamps: bound 0, the watermark is the largest timestamp - 1.
TEST(watermark_source, monotonous_timestamps_have_bound_zero) {
  auto strategy = watermark_strategy<event>::for_monotonous_timestamps(ts_of);
  EXPECT_EQ(strategy.max_out_of_orderness(), 0);
  EXPECT_EQ(strategy.idleness(), 0);
  source s({}, {{{{"", 7}, {"", 8}}}, {}}, strategy);
  EXPECT_EQ(s.poll(), 7);
}

// Every split counts, including one declared up front that has not had a record yet: the
// subtask's watermark is the minimum over them.
TEST(watermark_source, minimum_over_splits_including_unread_ones) {
  source s({"a", "b"},
           {{{{"a", 1000}}}, {{{"b", 500}}}, {{{"a", 2000}, {"b", 1500}}}, {{{"b", 3000}}}, {}},
           bounded(0));
  EXPECT_EQ(s.poll(), min_timestamp) << "b has not been read: it holds the watermark back";
  EXPECT_EQ(s.poll(), 499);
  EXPECT_EQ(s.poll(), 1499);
  EXPECT_EQ(s.poll(), 1999) << "a is behind b now";
}

// A finished split no longer holds the watermark back; the others still do.
TEST(watermark_source, finished_splits_do_not_hold_back) {
  source s({"a", "b", "c"},
           {{{{"a", 10}, {"b", 50}, {"c", 70}}},
            {{{"b", 60}}, {"a"}},
            {{}, {"c"}},
            {{{"b", 80}}},
            {{}, {"b"}},
            {}},
           bounded(0));
  EXPECT_EQ(s.poll(), 9);
  EXPECT_EQ(s.poll(), 59) << "a finished: min(b 60, c 70)";
  EXPECT_EQ(s.poll(), 59) << "c finished: b 60";
  EXPECT_EQ(s.poll(), 79);
  EXPECT_EQ(s.poll(), 79) << "all finished: the watermark stays until the end";
  EXPECT_FALSE(s.op->idle());
}

// Records emitted before the reader names a split belong to no split when it declared splits:
// they neither hold back nor raise the watermark.
TEST(watermark_source, records_before_a_named_split_count_for_none) {
  source s({"a"}, {{{{"", 500}, {"a", 100}}}, {}}, bounded(0));
  EXPECT_EQ(s.poll(), 99);
}

// Idleness, on the processing-time clock the operator is told: a split without a record for
// `idleness` ms stops holding the watermark back; when every split is idle the subtask is idle;
// the next record of a split makes it (and the subtask) active again.
TEST(watermark_source, idle_splits_stop_holding_back_until_their_next_record) {
  // Poll at times 0, 50, 100, 120, 150, 200, 260.
  source s({"a", "b"},
           {{{{"a", 100}, {"b", 10}}},  // t=0
            {{{"a", 200}}},             // t=50: b quiet for 50
            {{{"a", 300}}},             // t=100: b quiet for 100 -> idle
            {},                         // t=120: a quiet for 20
            {},                         // t=150: a quiet for 50
            {},                         // t=200: a quiet for 100 -> idle: all idle
            {{{"b", 20}}},              // t=260: b active again (its record is late)
            {}},
           bounded(0, 100));
  EXPECT_EQ(s.poll(0), 9);
  EXPECT_FALSE(s.op->idle());
  EXPECT_EQ(s.poll(50), 9) << "b is quiet, not idle yet";
  EXPECT_EQ(s.poll(100), 299) << "b idle: a alone";
  EXPECT_FALSE(s.op->idle());
  EXPECT_EQ(s.poll(120), 299);
  EXPECT_EQ(s.poll(150), 299);
  EXPECT_FALSE(s.op->idle());
  EXPECT_EQ(s.poll(200), 299);
  EXPECT_TRUE(s.op->idle()) << "every split idle";
  EXPECT_EQ(s.poll(260), 299) << "b is back, at 19: the watermark does not go back";
  EXPECT_FALSE(s.op->idle());
}

// Without idleness (the default) a quiet split holds the watermark back forever.
TEST(watermark_source, without_idleness_a_quiet_split_holds_back) {
  source s({"a", "b"}, {{{{"a", 100}, {"b", 10}}}, {{{"a", 200}}}, {{{"a", 300}}}, {}}, bounded(0));
  s.poll(0);
  s.poll(1'000'000);
  EXPECT_EQ(s.poll(2'000'000), 9);
  EXPECT_FALSE(s.op->idle());
}

// A source without a strategy generates no watermark and keeps no split state.
TEST(watermark_source, no_strategy_no_watermarks) {
  source s({"a"}, {{{{"a", 100}}}, {}}, watermark_strategy<event>{});
  EXPECT_EQ(s.poll(), min_timestamp);
  detail::operator_snapshot snap;
  s.op->snapshot(snap);
  EXPECT_TRUE(snap.entries.empty());
}

// The largest timestamp of each split is in the snapshot; a restored source resumes the same
// watermark before reading anything, and a split restored without state holds it back.
TEST(watermark_source, restored_source_resumes_its_watermark) {
  source s({"a", "b"}, {{{{"a", 1000}, {"b", 400}}}, {{{"a", 1200}, {"b", 900}}}, {}},
           bounded(100));
  s.poll();
  EXPECT_EQ(s.poll(), 799);
  detail::operator_snapshot snap;
  s.op->snapshot(snap);
  EXPECT_EQ(snap.entries.size(), 2u) << "one entry per split that has seen a record";

  // The same splits, restored: the first poll (no records) gives the same watermark.
  source again({"a", "b"}, {{}, {{{"b", 950}}}, {}}, bounded(100));
  ASSERT_TRUE(again.op->restore({snap}, subtask_info{}).ok());
  EXPECT_EQ(again.poll(), 799);
  EXPECT_EQ(again.poll(), 849);

  // A third split "c", unknown to the snapshot, holds the watermark back.
  source more({"a", "b", "c"}, {{}, {{{"c", 2000}}}, {}}, bounded(100));
  ASSERT_TRUE(more.op->restore({snap}, subtask_info{}).ok());
  EXPECT_EQ(more.poll(), min_timestamp);
  EXPECT_EQ(more.poll(), 799);
}

// Restored at another parallelism, an implicit split ("") named by several earlier subtasks
// takes the smallest of their timestamps: no record becomes late that was not before.
TEST(watermark_source, implicit_splits_of_several_subtasks_restore_their_minimum) {
  source s0({}, {{{{"", 5000}}}, {}}, bounded(0));
  source s1({}, {{{{"", 3000}}}, {}}, bounded(0));
  s0.poll();
  s1.poll();
  detail::operator_snapshot a, b;
  s0.op->snapshot(a);
  s1.op->snapshot(b);
  source restored({}, {{}, {}}, bounded(0));
  ASSERT_TRUE(restored.op->restore({a, b}, subtask_info{}).ok());
  EXPECT_EQ(restored.poll(), 2999);
}

// A reader that wraps another one passes the inner reader's split changes on through the
// collector it was given.
TEST(watermark_source, wrapping_reader_keeps_the_inner_splits) {
  class parse_port final : public detail::input_port<std::string> {
   public:
    explicit parse_port(collector<event>& out) : out_(out) {}
    void push(std::string& line) override { out_.emit(event{"", std::stoll(line)}); }

   private:
    collector<event>& out_;
  };
  class wrapping_reader final : public source_reader<event> {
   public:
    status open(const subtask_info&) override { return {}; }
    void splits(std::vector<std::string>& out) const override { out = {"x", "y"}; }
    status poll(size_t, collector<event>& out, bool& end) override {
      parse_port p(out);
      collector<std::string> lines(&p, out);
      lines.split("x");
      lines.emit("700");
      lines.split("y");
      lines.emit("300");
      lines.split_finished("y");
      end = ++polls == 2;
      return {};
    }
    int polls = 0;
  };
  sink_port out;
  detail::source_operator<event> op(std::make_unique<wrapping_reader>(), bounded(0));
  op.connect(static_cast<detail::input_port<event>*>(&out));
  ASSERT_TRUE(op.open(subtask_info{}).ok());
  uint64_t emitted = 0;
  bool end = false;
  ASSERT_TRUE(op.poll(10, emitted, end).ok());
  EXPECT_EQ(emitted, 2u);
  EXPECT_EQ(op.current_watermark(), 699) << "y finished: x alone";
}

// job.source(spec, strategy): the stream carries the strategy's timestamps.
TEST(watermark_source, job_source_with_strategy_carries_timestamps) {
  detail::graph g;
  job j(g);
  auto with = j.source(text_file_source({"unused"}),
                       watermark_strategy<std::string>::bounded_out_of_orderness(
                           5, [](const std::string& s) { return static_cast<int64_t>(s.size()); }));
  ASSERT_TRUE(with.timestamps());
  EXPECT_EQ(with.timestamps()("abc"), 3);
  auto without = j.source(text_file_source({"unused"}));
  EXPECT_FALSE(without.timestamps());
}

}  // namespace
}  // namespace nagare
