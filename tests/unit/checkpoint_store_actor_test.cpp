// The checkpoint store actor: each request of its protocol against an
// in-memory store, in a real actor system, and the record conversions.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "caf_suite.hpp"
#include "checkpoint_store_actor.hpp"

namespace nagare {
namespace {

checkpoint_record sample(uint64_t job, uint64_t id, bool savepoint) {
  checkpoint_record r;
  r.job_id = job;
  r.id = id;
  r.savepoint = savepoint;
  r.completed_ms = 1700000000123;
  r.bytes = 99;
  r.tasks = {{0, {"source"}, false}, {1, {"map", "sink"}, true}};
  return r;
}

bool same(const checkpoint_record& a, const checkpoint_record& b) { return a == b; }

// One actor system for the suite; one store actor per test.
class checkpoint_store_actor_test : public testing::caf_suite {
 protected:
  void SetUp() override {
    auto s = checkpoint_store::open("");
    ASSERT_TRUE(s.ok());
    store_ = spawn_checkpoint_store(sys(), std::move(s.value()));
  }
  void TearDown() override { caf::anon_send_exit(store_, caf::exit_reason::user_shutdown); }

  // Sends a request and returns its string reply ("<caf error>" if it failed).
  template <class... Ts>
  std::string request_error(Ts&&... xs) {
    caf::scoped_actor self{sys()};
    std::string out = "<no reply>";
    self->request(store_, timeout, std::forward<Ts>(xs)...)
        .receive([&](const std::string& e) { out = e; },
                 [&](caf::error& e) { out = "<caf error> " + sys().render(e); });
    return out;
  }
  // Stores both tasks' snapshots of a checkpoint, then completes it.
  void complete(uint64_t job, uint64_t id, bool savepoint, uint32_t retained) {
    for (uint32_t t = 0; t < 2; ++t)
      ASSERT_EQ(request_error(store_atom::value, job, id, t, "snap " + std::to_string(id)), "");
    ASSERT_EQ(request_error(complete_atom::value, sample(job, id, savepoint), retained), "");
  }
  std::vector<checkpoint_record> completed(uint64_t job) {
    caf::scoped_actor self{sys()};
    std::vector<checkpoint_record> out;
    self->request(store_, timeout, load_atom::value, job)
        .receive(
            [&](const std::string& e, const std::vector<checkpoint_record>& rs) {
              EXPECT_EQ(e, "");
              out = rs;
            },
            [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
    return out;
  }

  static constexpr auto timeout = std::chrono::seconds(10);
  caf::actor store_;
};

// A stored snapshot loads back; a missing one replies an error and no bytes.
TEST_F(checkpoint_store_actor_test, store_and_load_a_snapshot) {
  const std::string bytes("\0snapshot\xff", 10);
  ASSERT_EQ(request_error(store_atom::value, uint64_t{1}, uint64_t{2}, uint32_t{3}, bytes), "");
  caf::scoped_actor self{sys()};
  for (uint32_t task : {3, 4}) {
    self->request(store_, timeout, load_atom::value, uint64_t{1}, uint64_t{2}, task)
        .receive(
            [&](const std::string& e, const std::string& got) {
              if (task == 3) {
                EXPECT_EQ(e, "");
                EXPECT_EQ(got, bytes);
              } else {
                EXPECT_NE(e.find("has no snapshot of task 4"), std::string::npos) << e;
                EXPECT_EQ(got, "");
              }
            },
            [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
  }
}

// Completing applies retention: the newest `retained` plus savepoints are listed, ascending.
TEST_F(checkpoint_store_actor_test, complete_retains_and_lists) {
  complete(5, 1, false, 2);
  complete(5, 2, true, 2);
  complete(5, 3, false, 2);
  complete(5, 4, false, 2);
  auto rs = completed(5);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].id, 2u);
  EXPECT_EQ(rs[1].id, 3u);
  EXPECT_EQ(rs[2].id, 4u);
  EXPECT_TRUE(same(rs[0], sample(5, 2, true)));
  // A record whose snapshots are missing is refused.
  EXPECT_NE(request_error(complete_atom::value, sample(5, 9, false), uint32_t{2}), "");
  EXPECT_EQ(completed(5).size(), 3u);
}

// Savepoints by id and all of them; a malformed id is an error reply.
TEST_F(checkpoint_store_actor_test, savepoints) {
  complete(3, 17, true, 1);
  complete(3, 18, false, 1);
  caf::scoped_actor self{sys()};
  for (std::string id : {"3-17", "3-18", "x"}) {
    self->request(store_, timeout, load_atom::value, id)
        .receive(
            [&](const std::string& e, const checkpoint_record& r) {
              if (id == "3-17") {
                EXPECT_EQ(e, "");
                EXPECT_TRUE(same(r, sample(3, 17, true)));
              } else {
                EXPECT_NE(e, "") << id;
              }
            },
            [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
  }
  self->request(store_, timeout, load_atom::value, savepoint_atom::value)
      .receive(
          [&](const std::string& e, const std::vector<checkpoint_record>& rs) {
            EXPECT_EQ(e, "");
            ASSERT_EQ(rs.size(), 1u);
            EXPECT_EQ(rs[0].id, 17u);
          },
          [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
}

// highest_atom numbers past everything stored; drop_atom keeps only savepoints.
TEST_F(checkpoint_store_actor_test, highest_and_drop) {
  complete(4, 1, true, 3);
  complete(4, 2, false, 3);
  ASSERT_EQ(
      request_error(store_atom::value, uint64_t{4}, uint64_t{6}, uint32_t{0}, std::string("x")),
      "");
  caf::scoped_actor self{sys()};
  auto highest = [&] {
    uint64_t out = 0;
    self->request(store_, timeout, highest_atom::value, uint64_t{4})
        .receive(
            [&](const std::string& e, uint64_t id) {
              EXPECT_EQ(e, "");
              out = id;
            },
            [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
    return out;
  };
  EXPECT_EQ(highest(), 6u);
  EXPECT_EQ(request_error(drop_atom::value, uint64_t{4}), "");
  auto rs = completed(4);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].id, 1u);
  EXPECT_EQ(highest(), 1u);
}

}  // namespace
}  // namespace nagare
