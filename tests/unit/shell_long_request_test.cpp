// long_request.hpp, used by `nagare savepoint`, `nagare stop` and the shell's
// `checkpoint` and `savepoint`: the reply is handed over, and the wait ends
// with a one-line reason when the peer dies or does not answer in time.
// The peers are local actors standing in for the coordinator.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common.hpp"
#include "long_request.hpp"
#include "messages.hpp"

namespace nagare::cli {

namespace {

class long_request_test : public testing::Test {
 protected:
  struct configured {
    configured() { configure_process(cfg, 1); }
    caf::actor_system_config cfg;
  };
  configured config;
  caf::actor_system sys{config.cfg};
};

// A reply of the expected types goes to on_reply; the status is ok.
TEST_F(long_request_test, reply_is_handed_over) {
  auto peer = sys.spawn([]() -> caf::behavior {
    return {[](savepoint_atom, uint64_t job) {
      return std::make_tuple(std::string{}, std::to_string(job) + "-17");
    }};
  });
  std::string error = "unset", id;
  std::string lost;
  auto st = long_request(
      sys, peer, std::chrono::seconds(10), &lost,
      [&](std::string& e, std::string& s) {
        error = e;
        id = s;
      },
      savepoint_atom::value, uint64_t{3});
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(error, "");
  EXPECT_EQ(id, "3-17");
  EXPECT_EQ(lost, "");
  caf::anon_send_exit(peer, caf::exit_reason::user_shutdown);
}

// A peer that ends while the request waits: the wait ends at once, and
// `lost` says why.
TEST_F(long_request_test, peer_that_dies_ends_the_wait) {
  auto peer = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {[self](savepoint_atom, uint64_t) { self->quit(caf::exit_reason::user_shutdown); }};
  });
  std::string lost;
  bool replied = false;
  auto started = std::chrono::steady_clock::now();
  auto st = long_request(
      sys, peer, std::chrono::seconds(60), &lost,
      [&](std::string&, std::string&) { replied = true; }, savepoint_atom::value, uint64_t{3});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_FALSE(replied);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), errc::io_error);
  EXPECT_EQ(st.message(), "lost the coordinator (" + lost + ")");
  EXPECT_NE(lost, "");
}

// A peer that never answers: the timeout ends the wait with its length.
TEST_F(long_request_test, silence_times_out) {
  auto peer = sys.spawn([]() -> caf::behavior { return {[](savepoint_atom, uint64_t) {}}; });
  auto st = long_request(
      sys, peer, std::chrono::seconds(1), nullptr, [&](std::string&, std::string&) {},
      savepoint_atom::value, uint64_t{3});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "the coordinator did not answer: no reply within 1s");
  caf::anon_send_exit(peer, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace nagare::cli
