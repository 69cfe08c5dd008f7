// A test suite with one actor system for all its tests, configured as the
// daemons configure theirs (Nagare's message types registered, one thread).
#pragma once

#include <gtest/gtest.h>

#include <caf/all.hpp>

#include "system_config.hpp"

namespace nagare::testing {

class caf_suite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cfg_ = new caf::actor_system_config;
    configure(*cfg_, 1);
    sys_ = new caf::actor_system(*cfg_);
  }
  static void TearDownTestSuite() {
    delete sys_;
    delete cfg_;
    sys_ = nullptr;
    cfg_ = nullptr;
  }
  static caf::actor_system& sys() { return *sys_; }

 private:
  static inline caf::actor_system_config* cfg_ = nullptr;
  static inline caf::actor_system* sys_ = nullptr;
};

}  // namespace nagare::testing
