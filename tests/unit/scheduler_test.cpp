// Slot assignment: a job's slots spread round-robin over the live nodes with
// free slots, or the job is rejected with the numbers that explain why.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "scheduler.hpp"

namespace nagare {
namespace {

using slots = std::vector<uint32_t>;

node_slots node(uint32_t total, uint32_t used = 0, bool alive = true) {
  return {total, used, alive};
}

// Slots are taken one node at a time, in turn.
TEST(scheduler, spreads_round_robin) {
  auto r = assign_slots(6, {node(4), node(4), node(4)});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value(), (slots{0, 1, 2, 0, 1, 2}));
}

// A node that runs out of free slots drops out of the rotation.
TEST(scheduler, uneven_nodes_fill_up) {
  auto r = assign_slots(5, {node(1), node(4), node(2, 1)});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value(), (slots{0, 1, 2, 1, 1}));
}

// Dead nodes get nothing, however many slots they report.
TEST(scheduler, skips_dead_nodes) {
  auto r = assign_slots(4, {node(2), node(8, 0, false), node(2)});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value(), (slots{0, 2, 0, 2}));
}

// Full nodes get nothing; used slots count against a node's total.
TEST(scheduler, skips_full_nodes) {
  auto r = assign_slots(3, {node(2, 2), node(3, 1), node(1, 1), node(1)});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value(), (slots{1, 3, 1}));
}

// A node reporting more used than total slots is treated as full, not as a huge free count.
TEST(scheduler, overcommitted_node_is_full) {
  auto r = assign_slots(1, {node(1, 5), node(1)});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value(), (slots{1}));
}

// Exactly all free slots can be taken.
TEST(scheduler, takes_every_free_slot) {
  auto r = assign_slots(5, {node(2), node(3, 1), node(1)});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value(), (slots{0, 1, 2, 0, 1}));
}

// A job that needs no slots gets none.
TEST(scheduler, zero_needed_is_empty) {
  auto r = assign_slots(0, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().empty());
}

// Too few free slots: rejected, naming how many are needed and how many are free.
TEST(scheduler, rejects_naming_needed_and_free) {
  auto r = assign_slots(7, {node(4, 1), node(2), node(9, 0, false)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::invalid_argument);
  const auto& m = r.error().message();
  EXPECT_NE(m.find("needs 7"), std::string::npos) << m;
  EXPECT_NE(m.find("5 free"), std::string::npos) << m;
}

// A cluster without nodes rejects any job, reporting 0 free.
TEST(scheduler, rejects_without_nodes) {
  auto r = assign_slots(1, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("0 free"), std::string::npos) << r.error().message();
}

// A cluster whose only nodes are dead rejects the job.
TEST(scheduler, rejects_when_all_nodes_dead) {
  auto r = assign_slots(1, {node(4, 0, false), node(4, 0, false)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("0 free"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace nagare
