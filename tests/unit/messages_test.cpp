// What crosses actors and processes: statuses keep their code and message,
// the damaged snapshot its place, states their value; states read back from
// their words; an unknown code from a peer is not taken at face value.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <caf/all.hpp>

#include "caf_suite.hpp"
#include "messages.hpp"

namespace nagare {
namespace {

using messages_caf = testing::caf_suite;

// Serializes `in` inside a caf::message (as BASP does) and reads it back.
caf::message round_trip(caf::actor_system& sys, const caf::message& in) {
  std::vector<char> buf;
  caf::binary_serializer sink(sys, buf);
  EXPECT_FALSE(sink(const_cast<caf::message&>(in)));
  caf::message out;
  caf::binary_deserializer source(sys, buf);
  EXPECT_FALSE(source(out));
  return out;
}

TEST_F(messages_caf, status_and_damaged_snapshot_keep_code_message_and_place) {
  for (auto code : {errc::ok, errc::invalid_argument, errc::io_error, errc::corruption,
                    errc::unavailable, errc::timeout, errc::permission_denied}) {
    status in = code == errc::ok ? status{} : status(code, "why " + std::to_string(int(code)));
    auto out = round_trip(sys(), caf::make_message(in, damaged_snapshot{12, 3}));
    ASSERT_TRUE((out.match_elements<status, damaged_snapshot>()));
    const auto& st = out.get_as<status>(0);
    EXPECT_EQ(st.code(), code);
    EXPECT_EQ(st.message(), in.message());
    EXPECT_EQ(out.get_as<damaged_snapshot>(1).checkpoint, 12u);
    EXPECT_EQ(out.get_as<damaged_snapshot>(1).task, 3u);
  }
}

// A code beyond the last this build knows reads as internal, message kept.
TEST_F(messages_caf, unknown_status_code_reads_as_internal) {
  status in(errc::timeout, "from a newer peer");
  std::vector<char> buf;
  caf::binary_serializer sink(sys(), buf);
  ASSERT_FALSE(sink(in));
  // The code is the first byte written.
  ASSERT_FALSE(buf.empty());
  buf[0] = static_cast<char>(200);
  status out;
  caf::binary_deserializer source(sys(), buf);
  ASSERT_FALSE(source(out));
  EXPECT_EQ(out.code(), errc::internal);
  EXPECT_EQ(out.message(), "from a newer peer");
}

TEST_F(messages_caf, states_travel_as_their_values) {
  job_outcome in;
  in.job_id = 4;
  in.state = job_state::stopped;
  in.reason = "stopped with a savepoint";
  restart_info r;
  r.outcome = restart_outcome::gave_up;
  auto out = round_trip(sys(), caf::make_message(in, r));
  ASSERT_TRUE((out.match_elements<job_outcome, restart_info>()));
  EXPECT_EQ(out.get_as<job_outcome>(0).state, job_state::stopped);
  EXPECT_EQ(out.get_as<job_outcome>(0).reason, in.reason);
  EXPECT_EQ(out.get_as<restart_info>(1).outcome, restart_outcome::gave_up);
}

// Job records store a job's state as its word: every state reads back, and
// nothing else does.
TEST(states, job_state_words_read_back) {
  for (auto s : {job_state::running, job_state::finished, job_state::failed, job_state::canceled,
                 job_state::stopped, job_state::unknown}) {
    auto back = parse_job_state(to_string(s));
    ASSERT_TRUE(back.has_value()) << to_string(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(parse_job_state("running").has_value());  // the words are upper case
  EXPECT_FALSE(parse_job_state("").has_value());
  EXPECT_STREQ(to_string(task_state::unreachable), "UNREACHABLE");
  EXPECT_STREQ(to_string(checkpoint_status::in_progress), "IN_PROGRESS");
  EXPECT_STREQ(to_string(checkpoint_kind::savepoint), "SAVEPOINT");
  EXPECT_STREQ(to_string(node_state::lost), "LOST");
}

}  // namespace
}  // namespace nagare
