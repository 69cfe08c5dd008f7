// A task's output channels without an actor system: credit, blocking and the
// order of items (actors/task/output_channels.hpp).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "channel_fakes.hpp"
#include "task/output_channels.hpp"

namespace nagare {
namespace {

using testing::batch_of;
using strings = std::vector<std::string>;

struct fixture {
  explicit fixture(size_t channels) : outputs(link) { outputs.open(channels); }
  testing::recording_output_link link;
  output_channels outputs;
};

// Guards flow control: a batch waits for credit, the channel is blocked while
// it waits, and a credit sends it.
TEST(OutputChannels, NothingSentWithoutCredit) {
  fixture f(1);
  f.outputs.push(0, channel_item::of_batch(batch_of(3)));
  EXPECT_TRUE(f.link.sent.empty());
  EXPECT_TRUE(f.outputs.blocked());
  EXPECT_EQ(f.outputs.queued(0), 1u);
  EXPECT_FALSE(f.outputs.drained());
  f.outputs.add_credit(0, 1);
  EXPECT_EQ(f.link.sent, (strings{"batch 0 3"}));
  EXPECT_FALSE(f.outputs.blocked());
  EXPECT_EQ(f.outputs.credit(0), 0u);
  EXPECT_TRUE(f.outputs.drained());
}

// Backpressured time accrues while some channel is blocked, and only then
// (lower bounds only: the clock may run late, never early).
TEST(OutputChannels, BlockedTimeCountsOnlyBlockedSpells) {
  using namespace std::chrono;
  fixture f(2);
  EXPECT_EQ(f.outputs.blocked_time(), nanoseconds(0));
  f.outputs.push(0, channel_item::of_batch(batch_of(1)));
  f.outputs.push(1, channel_item::of_batch(batch_of(1)));
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_GE(f.outputs.blocked_time(), milliseconds(20)) << "a spell still under way counts";
  f.outputs.add_credit(0, 1);  // one channel still blocked: the spell goes on
  std::this_thread::sleep_for(milliseconds(10));
  f.outputs.add_credit(1, 1);
  auto spell = f.outputs.blocked_time();
  EXPECT_GE(spell, milliseconds(30));
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(f.outputs.blocked_time(), spell) << "not blocked: no time accrues";
}

// Guards the blocked count: it counts channels (not batches) holding a batch
// without credit, and a task is blocked while any is.
TEST(OutputChannels, BlockedCountsChannels) {
  fixture f(3);
  f.outputs.add_credit(2, 5);
  for (uint32_t c = 0; c < 3; ++c) {
    f.outputs.push(c, channel_item::of_batch(batch_of(1)));
    f.outputs.push(c, channel_item::of_batch(batch_of(1)));
  }
  EXPECT_EQ(f.outputs.blocked_count(), 2u);
  EXPECT_EQ(f.outputs.credit(2), 3u);
  f.outputs.add_credit(0, 1);  // one of its two batches: still blocked
  EXPECT_EQ(f.outputs.blocked_count(), 2u);
  f.outputs.add_credit(0, 1);
  EXPECT_EQ(f.outputs.blocked_count(), 1u);
  f.outputs.add_credit(1, 2);
  EXPECT_EQ(f.outputs.blocked_count(), 0u);
  EXPECT_FALSE(f.outputs.blocked());
  EXPECT_EQ(f.link.sent, (strings{"batch 2 1", "batch 2 1", "batch 0 1", "batch 0 1", "batch 1 1",
                                  "batch 1 1"}));
}

// Guards the end of a stream: end-of-stream, barriers and watermarks need no
// credit, but wait behind the batches queued before them.
TEST(OutputChannels, EndOfStreamWithoutCreditInOrder) {
  fixture f(2);
  f.outputs.push(0, channel_item::of_batch(batch_of(2)));
  f.outputs.push_all(channel_item::of_watermark(9, false));
  f.outputs.push_all(channel_item::of_barrier(4));
  f.outputs.push_all(channel_item::of_watermark(9, true));
  f.outputs.push_all(channel_item::end_of_stream());
  EXPECT_EQ(f.link.sent, (strings{"watermark 1 9", "barrier 1 4", "idle 1", "end 1"}));
  EXPECT_EQ(f.outputs.queued(0), 5u);
  EXPECT_EQ(f.outputs.blocked_count(), 1u);
  f.link.sent.clear();
  f.outputs.add_credit(0, 1);
  EXPECT_EQ(f.link.sent, (strings{"batch 0 2", "watermark 0 9", "barrier 0 4", "idle 0", "end 0"}));
  EXPECT_TRUE(f.outputs.drained());
}

// Guards credit accounting: credit granted ahead is kept and spent one per batch.
TEST(OutputChannels, CreditAccumulatesAndIsSpentPerBatch) {
  fixture f(1);
  f.outputs.add_credit(0, 3);
  f.outputs.push(0, channel_item::of_batch(batch_of(1)));
  f.outputs.push(0, channel_item::end_of_stream());
  f.outputs.push(0, channel_item::of_batch(batch_of(1)));
  EXPECT_EQ(f.outputs.credit(0), 1u);
  EXPECT_EQ(f.link.sent, (strings{"batch 0 1", "end 0", "batch 0 1"}));
  EXPECT_FALSE(f.outputs.blocked());
}

}  // namespace
}  // namespace nagare
