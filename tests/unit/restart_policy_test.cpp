#include "restart_policy.hpp"

#include <gtest/gtest.h>

namespace nagare {
namespace {

using std::chrono::milliseconds;

TEST(restart_policy, default_depends_on_checkpointing) {
  auto with = restart_policy::parse("", true);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with->describe(), "fixed-delay:500:10");
  auto without = restart_policy::parse("", false);
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(without->describe(), "none");
  EXPECT_FALSE(without->delay(1));
}

TEST(restart_policy, fixed_delay_gives_up_after_its_attempts) {
  auto p = restart_policy::parse("fixed-delay:250:3", false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->delay(1), milliseconds(250));
  EXPECT_EQ(p->delay(3), milliseconds(250));
  EXPECT_FALSE(p->delay(4));
}

TEST(restart_policy, exponential_doubles_up_to_its_maximum) {
  auto p = restart_policy::parse("exponential:100:1000:6", false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->delay(1), milliseconds(100));
  EXPECT_EQ(p->delay(2), milliseconds(200));
  EXPECT_EQ(p->delay(4), milliseconds(800));
  EXPECT_EQ(p->delay(5), milliseconds(1000));
  EXPECT_EQ(p->delay(6), milliseconds(1000));
  EXPECT_FALSE(p->delay(7));
}

TEST(restart_policy, malformed_specs_are_refused_with_the_reason) {
  for (const char* spec : {"sometimes", "fixed-delay:1", "fixed-delay:x:3", "fixed-delay:10:0",
                           "exponential:500:100:3", "none:1", "fixed-delay:-1:3"}) {
    auto p = restart_policy::parse(spec, true);
    ASSERT_FALSE(p.ok()) << spec;
    EXPECT_NE(p.error().message().find(spec), std::string::npos) << p.error().message();
  }
}

}  // namespace
}  // namespace nagare
