// The parse adapter (nagare/parsed_source.hpp): records parsed from the
// lines of real temp files, rejected lines as dead letters with their split,
// offset and reason, and the dead-letter sink driven through the reader's
// checkpoint calls and snapshots. A fake sink records what it is told.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nagare/detail/operators.hpp"
#include "nagare/parsed_source.hpp"
#include "process.hpp"
#include "split_support.hpp"

namespace nagare {
namespace {

using strings = std::vector<std::string>;

class ints final : public detail::input_port<int64_t> {
 public:
  void push(int64_t& r) override { got.push_back(r); }
  std::vector<int64_t> got;
};

// What every fake sink of a test saw, in order.
struct sink_log {
  std::vector<dead_letter> written;
  strings calls;
};

class fake_sink {
 public:
  using record_type = dead_letter;
  explicit fake_sink(sink_log* log) : log_(log) {}
  std::string name() const { return "fake"; }
  status validate() const { return {}; }
  std::unique_ptr<sink<dead_letter>> create() const { return std::make_unique<writer>(log_); }

 private:
  class writer final : public sink<dead_letter> {
   public:
    explicit writer(sink_log* log) : log_(log) {}
    status open(const subtask_info&) override { return {}; }
    status write(const dead_letter& d) override {
      log_->written.push_back(d);
      return {};
    }
    status close() override { return {}; }
    status pre_commit(uint64_t id) override {
      log_->calls.push_back("pre_commit " + std::to_string(id));
      return {};
    }
    void pending(strings& out) const override { out.push_back("tx"); }
    status commit(uint64_t id) override {
      log_->calls.push_back("commit " + std::to_string(id));
      return {};
    }
    status recover(const strings& entries, uint32_t previous, const subtask_info&) override {
      log_->calls.push_back("recover " + std::to_string(entries.size()) + " of " +
                            std::to_string(previous));
      return {};
    }

   private:
    sink_log* log_;
  };
  sink_log* log_;
};

result<int64_t> parse_int(const std::string& line) {
  if (line.empty() || line.find_first_not_of("0123456789") != std::string::npos)
    return malformed("not a number");
  return static_cast<int64_t>(std::stoll(line));
}

template <class Reader>
std::vector<int64_t> read_all(Reader& reader) {
  ints port;
  collector<int64_t> out(&port);
  bool end = false;
  while (!end) EXPECT_TRUE(reader.poll(2, out, end).ok());
  return port.got;
}

// Good lines become records in order; a rejected one becomes a dead letter
// with its split, byte offset, reason and text; the count is per subtask.
TEST(parsed_source, rejected_lines_become_dead_letters) {
  testing::temp_dir dir;
  auto path = dir / "a.txt";
  testing::write_file(path, "1\nx\n22\r\n\n3");
  sink_log log;
  auto reader = parse(text_file_source({path}), parse_int).dead_letters(fake_sink(&log)).create();
  ASSERT_TRUE(reader->open({}).ok());
  testing::give_splits(*reader, testing::splits_of(text_file_source({path}), 0, 1));
  EXPECT_EQ(read_all(*reader), (std::vector<int64_t>{1, 22, 3}));
  ASSERT_EQ(log.written.size(), 2u);
  EXPECT_EQ(log.written[0], (dead_letter{"0 " + path, 2, "not a number", "x"}));
  EXPECT_EQ(log.written[1], (dead_letter{"0 " + path, 8, "not a number", ""}));
  EXPECT_EQ(reader->dead_letters(), 2u);
  EXPECT_EQ(log.calls, strings{"recover 0 of 0"});  // a fresh start discards leftovers
  EXPECT_TRUE(reader->close().ok());
}

// std::optional parse functions work too, and without a sink the dead
// letters are still counted.
TEST(parsed_source, optional_and_no_sink) {
  testing::temp_dir dir;
  auto path = dir / "a.txt";
  testing::write_file(path, "1\nx\ny\n2\n");
  auto reader = parse(text_file_source({path}), [](const std::string& l) -> std::optional<int64_t> {
                  if (l == "x" || l == "y") return std::nullopt;
                  return std::stoll(l);
                }).create();
  ASSERT_TRUE(reader->open({}).ok());
  testing::give_splits(*reader, testing::splits_of(text_file_source({path}), 0, 1));
  EXPECT_EQ(read_all(*reader), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(reader->dead_letters(), 2u);
  EXPECT_TRUE(reader->close().ok());
}

// The task sees its source's count (shell `inspect`): the source operator
// reports the dead letters of its reader.
TEST(parsed_source, the_source_operator_reports_the_count) {
  testing::temp_dir dir;
  auto path = dir / "a.txt";
  testing::write_file(path, "1\nx\n2\ny\nz\n");
  detail::source_operator<int64_t> op(parse(text_file_source({path}), parse_int).create());
  ints port;
  op.connect(static_cast<detail::input_port<int64_t>*>(&port));
  ASSERT_TRUE(op.open({}).ok());
  EXPECT_EQ(op.dead_letters(), 0u);
  op.add_splits(testing::splits_of(text_file_source({path}), 0, 1), true);
  uint64_t emitted = 0;
  bool end = false;
  while (!end) ASSERT_TRUE(op.poll(2, emitted, end).ok());
  EXPECT_EQ(port.got, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(op.dead_letters(), 3u);
  EXPECT_TRUE(op.close().ok());
}

// Checkpoints reach the sink; a snapshot carries the raw positions, the
// pending transactions and the count, and restores at another parallelism:
// the sink gets every transaction, the count goes to one new subtask.
TEST(parsed_source, checkpoints_and_restore_carry_the_dead_letters) {
  testing::temp_dir dir;
  auto a = dir / "a.txt";
  auto b = dir / "b.txt";
  testing::write_file(a, "1\nx\n2\n");
  testing::write_file(b, "y\nz\n3\n");
  sink_log log;
  auto spec = parse(text_file_source({a, b}), parse_int).dead_letters(fake_sink(&log));
  strings entries;
  for (uint32_t s = 0; s < 2; ++s) {
    auto r = spec.create();
    subtask_info info;
    info.subtask = s;
    info.parallelism = 2;
    ASSERT_TRUE(r->open(info).ok());
    testing::give_splits(*r, testing::splits_of(spec, s, 2));
    read_all(*r);
    ASSERT_TRUE(r->prepare_checkpoint(4).ok());
    r->positions(entries);
    ASSERT_TRUE(r->checkpoint_complete(4).ok());
  }
  EXPECT_EQ(entries.size(), 6u);  // per subtask: a position, a transaction, a count
  log.calls.clear();
  auto restored = spec.create();
  subtask_info info;  // subtask 0 of 1
  ASSERT_TRUE(restored->open(info).ok());
  ASSERT_TRUE(restored->restore(entries, info).ok());
  testing::give_splits(*restored, testing::splits_of(spec, 0, 1));
  EXPECT_EQ(log.calls, strings{"recover 2 of 2"});
  EXPECT_EQ(restored->dead_letters(), 3u);
  EXPECT_TRUE(read_all(*restored).empty());  // both files were read to their end
  strings bad = {"?"};
  EXPECT_FALSE(spec.create()->restore(bad, info).ok());
}

}  // namespace
}  // namespace nagare
