// A task's input channels without an actor system: credit, round robin,
// barrier alignment and the input watermark (actors/task/input_channels.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "channel_fakes.hpp"
#include "task/input_channels.hpp"

namespace nagare {
namespace {

using testing::batch_of;
using kind = input_channels::step::kind;
using strings = std::vector<std::string>;

struct fixture {
  explicit fixture(size_t channels, bool at_least_once = false) : inputs(link, at_least_once) {
    inputs.open(std::vector<uint32_t>(channels, 0));
  }
  // Takes the next item; consumes a batch at once, as the task does after processing it.
  input_channels::step next(uint64_t last_checkpoint = 0) {
    auto s = inputs.next(last_checkpoint);
    if (s.what == kind::batch) inputs.consumed(s.channel);
    return s;
  }
  testing::recording_credit_link link;
  input_channels inputs;
};

// The next step is a barrier from `channel`: it starts an alignment or not,
// completes checkpoint `completes` (0: none yet), and leaves `aligning`
// channels held.
void expect_barrier(fixture& f, uint32_t channel, bool started, uint64_t completes,
                    size_t aligning) {
  auto s = f.next();
  EXPECT_EQ(s.what, kind::barrier);
  EXPECT_EQ(s.channel, channel);
  EXPECT_EQ(s.alignment_started, started);
  EXPECT_EQ(s.checkpoint, completes);
  EXPECT_EQ(f.inputs.aligning(), aligning);
}

// Guards the credit loop: the start grants each channel its credit, every
// processed batch gives exactly one back to its own channel, and barriers,
// watermarks and end-of-stream give none.
TEST(InputChannels, CreditGrantedAtStartAndOnePerBatch) {
  fixture f(2);
  f.inputs.grant(4);
  EXPECT_EQ(f.link.sent, (strings{"credit 0 4", "credit 1 4"}));
  f.link.sent.clear();
  f.inputs.push(1, channel_item::of_batch(batch_of(3)));
  f.inputs.push(1, channel_item::of_watermark(7, false));
  f.inputs.push(1, channel_item::of_barrier(1));
  f.inputs.push(1, channel_item::end_of_stream());
  f.inputs.push(0, channel_item::of_batch(batch_of(2)));
  auto s = f.inputs.next(0);
  ASSERT_EQ(s.what, kind::batch);
  EXPECT_EQ(s.channel, 0u);
  EXPECT_EQ(s.batch->size(), 2u);
  EXPECT_TRUE(f.link.sent.empty());  // given back only once processed
  f.inputs.consumed(s.channel);
  while (f.next(1).what != kind::none) {  // barrier 1 taken already
  }
  EXPECT_EQ(f.link.sent, (strings{"credit 0 1", "credit 1 1"}));
}

// Guards fairness: channels are read in turn, one item each, skipping empty ones.
TEST(InputChannels, RoundRobinOverChannelsWithItems) {
  fixture f(3);
  for (uint32_t c : {0u, 2u})
    for (int i = 0; i < 3; ++i) f.inputs.push(c, channel_item::of_batch(batch_of(1)));
  f.inputs.push(1, channel_item::of_batch(batch_of(1)));
  std::vector<uint32_t> order;
  for (auto s = f.next(); s.what != kind::none; s = f.next()) order.push_back(s.channel);
  EXPECT_EQ(order, (std::vector<uint32_t>{0, 1, 2, 0, 2, 0, 2}));
  EXPECT_EQ(f.next().what, kind::none);
}

// Guards exactly-once alignment: a channel that delivered barrier n is not
// read (its batches stay queued, no credit goes back) until barrier n has
// come on every open channel, and then checkpoint n is to be taken.
TEST(InputChannels, ExactlyOnceHoldsAChannelUntilAllHaveTheBarrier) {
  fixture f(2);
  f.inputs.push(0, channel_item::of_barrier(1));
  f.inputs.push(0, channel_item::of_batch(batch_of(1)));
  f.inputs.push(1, channel_item::of_batch(batch_of(1)));
  expect_barrier(f, 0, /*started=*/true, /*completes=*/0, /*aligning=*/1);
  EXPECT_TRUE(f.inputs.held(0));
  auto s = f.next();
  EXPECT_EQ(s.what, kind::batch);
  EXPECT_EQ(s.channel, 1u);
  EXPECT_EQ(f.next().what, kind::none);  // channel 0 has a batch, but is held
  EXPECT_EQ(f.inputs.queued(0), 1u);
  EXPECT_EQ(f.link.sent, (strings{"credit 1 1"}));
  f.inputs.push(1, channel_item::of_barrier(1));
  expect_barrier(f, 1, /*started=*/false, /*completes=*/1, /*aligning=*/0);
  EXPECT_FALSE(f.inputs.held(0));
  s = f.next();
  EXPECT_EQ(s.what, kind::batch);
  EXPECT_EQ(s.channel, 0u);
}

// Guards at-least-once mode: a channel that delivered the barrier is read on,
// and the checkpoint is still taken when the last barrier comes.
TEST(InputChannels, AtLeastOnceNeverHoldsAChannel) {
  fixture f(2, true);
  f.inputs.push(0, channel_item::of_barrier(1));
  f.inputs.push(0, channel_item::of_batch(batch_of(1)));
  EXPECT_EQ(f.next().what, kind::barrier);
  EXPECT_FALSE(f.inputs.held(0));
  auto s = f.next();
  EXPECT_EQ(s.what, kind::batch);
  EXPECT_EQ(s.channel, 0u);
  f.inputs.push(1, channel_item::of_barrier(1));
  s = f.next();
  EXPECT_EQ(s.what, kind::barrier);
  EXPECT_EQ(s.checkpoint, 1u);
}

// Guards a checkpoint against a channel that ends while the others wait: an
// ended channel holds no checkpoint back, so its end completes the alignment.
TEST(InputChannels, EndOfStreamDuringAlignmentCompletesIt) {
  fixture f(3);
  f.inputs.push(0, channel_item::of_barrier(2));
  f.inputs.push(1, channel_item::of_barrier(2));
  EXPECT_EQ(f.next(1).checkpoint, 0u);
  EXPECT_EQ(f.next(1).checkpoint, 0u);
  f.inputs.push(2, channel_item::end_of_stream());
  auto s = f.next(1);
  EXPECT_EQ(s.what, kind::end);
  EXPECT_EQ(s.channel, 2u);
  EXPECT_EQ(s.checkpoint, 2u);
  EXPECT_EQ(f.inputs.ended(), 1u);
  EXPECT_FALSE(f.inputs.all_ended());
  EXPECT_FALSE(f.inputs.held(0));
  EXPECT_FALSE(f.inputs.held(1));
  // With the others ended, one barrier is the whole alignment.
  f.inputs.push(0, channel_item::end_of_stream());
  f.inputs.push(1, channel_item::of_barrier(3));
  EXPECT_EQ(f.next(2).what, kind::end);
  EXPECT_EQ(f.next(2).checkpoint, 3u);
}

// Guards against old barriers: one of a checkpoint already taken is ignored,
// and a newer checkpoint's barrier abandons the one still aligning.
TEST(InputChannels, StaleBarriersIgnoredAndNewerOneOvertakes) {
  fixture f(2);
  f.inputs.push(0, channel_item::of_barrier(4));
  auto s = f.next(4);
  EXPECT_FALSE(s.alignment_started);
  EXPECT_FALSE(f.inputs.held(0));
  f.inputs.push(0, channel_item::of_barrier(5));
  EXPECT_TRUE(f.next(4).alignment_started);
  EXPECT_TRUE(f.inputs.held(0));
  f.inputs.push(1, channel_item::of_barrier(6));
  s = f.next(4);
  EXPECT_TRUE(s.alignment_started);
  EXPECT_EQ(s.checkpoint, 0u);
  EXPECT_EQ(f.inputs.aligning(), 6u);
  EXPECT_FALSE(f.inputs.held(0));  // its barrier 5 no longer counts
  EXPECT_TRUE(f.inputs.held(1));
}

// Guards event time: the input watermark is the minimum over the channels that
// are open and active; a watermark never goes back, idle and ended channels
// hold nothing back, and all idle makes the task idle.
TEST(InputChannels, WatermarkIsMinimumOverOpenActiveChannels) {
  fixture f(3);
  EXPECT_TRUE(f.inputs.watermark().open);
  EXPECT_EQ(f.inputs.watermark().watermark, min_timestamp);
  f.inputs.push(0, channel_item::of_watermark(10, false));
  f.inputs.push(1, channel_item::of_watermark(7, false));
  f.inputs.push(2, channel_item::of_watermark(3, false));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.next().what, kind::watermark);
  EXPECT_EQ(f.inputs.watermark().watermark, 3);
  f.inputs.push(2, channel_item::of_watermark(2, false));  // lower: ignored
  f.next();
  EXPECT_EQ(f.inputs.watermark().watermark, 3);
  f.inputs.push(2, channel_item::end_of_stream());
  f.next();
  EXPECT_EQ(f.inputs.watermark().watermark, 7);
  f.inputs.push(1, channel_item::of_watermark(0, true));
  f.next();
  auto w = f.inputs.watermark();
  EXPECT_EQ(w.watermark, 10);
  EXPECT_FALSE(w.idle);
  f.inputs.push(0, channel_item::of_watermark(0, true));
  f.next();
  w = f.inputs.watermark();
  EXPECT_TRUE(w.open);
  EXPECT_TRUE(w.idle);
  f.inputs.push(1, channel_item::of_watermark(8, false));  // active again
  f.next();
  w = f.inputs.watermark();
  EXPECT_FALSE(w.idle);
  EXPECT_EQ(w.watermark, 8);
  f.inputs.push(0, channel_item::end_of_stream());
  f.inputs.push(1, channel_item::end_of_stream());
  f.next();
  f.next();
  EXPECT_FALSE(f.inputs.watermark().open);
  EXPECT_TRUE(f.inputs.all_ended());
}

// Guards the queue order: a channel's watermarks and its end wait behind its
// batches, and a held channel keeps its watermarks queued too.
TEST(InputChannels, ItemsOfAChannelKeepTheirOrder) {
  fixture f(2);
  f.inputs.push(0, channel_item::of_barrier(1));
  f.inputs.push(0, channel_item::of_watermark(5, false));
  f.inputs.push(0, channel_item::of_batch(batch_of(1)));
  f.inputs.push(0, channel_item::end_of_stream());
  EXPECT_EQ(f.next().what, kind::barrier);
  EXPECT_EQ(f.next().what, kind::none);
  EXPECT_EQ(f.inputs.watermark().watermark, min_timestamp);
  f.inputs.push(1, channel_item::of_barrier(1));
  EXPECT_EQ(f.next().checkpoint, 1u);
  std::vector<kind> rest;
  for (auto s = f.next(); s.what != kind::none; s = f.next()) rest.push_back(s.what);
  EXPECT_EQ(rest, (std::vector<kind>{kind::watermark, kind::batch, kind::end}));
  EXPECT_EQ(f.inputs.watermark().watermark, min_timestamp);  // channel 1 has none yet
}

}  // namespace
}  // namespace nagare
