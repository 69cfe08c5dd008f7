// The checkpoint store actor: each request of its protocol against an
// in-memory store, in a real actor system, and the record conversions.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
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
  r.tasks = {{0, {"source"}, false, {}}, {1, {"map", "sink"}, true, {}}};
  return r;
}

bool same(const checkpoint_record& a, const checkpoint_record& b) { return a == b; }

snapshot_upload upload(uint64_t job, uint64_t id, uint32_t task, std::string bytes,
                       uint32_t chunk = 0, uint32_t chunks = 1, std::vector<uint64_t> needs = {}) {
  return {job, id, task, chunk, chunks, std::move(needs), std::move(bytes)};
}

// One actor system for the suite; one store actor per test.
class checkpoint_store_actor_test : public testing::caf_suite {
 protected:
  void SetUp() override {
    auto s = checkpoint_store::open("");
    ASSERT_TRUE(s.ok());
    store_ = spawn_checkpoint_store(sys(), std::move(s.value()));
  }
  void TearDown() override { caf::anon_send_exit(store_, caf::exit_reason::user_shutdown); }

  // Sends a request and returns its status's message ("<caf error>" if it failed).
  template <class... Ts>
  std::string request_error(Ts&&... xs) {
    caf::scoped_actor self{sys()};
    std::string out = "<no reply>";
    self->request(store_, timeout, std::forward<Ts>(xs)...)
        .receive([&](const status& e) { out = e.message(); },
                 [&](caf::error& e) { out = "<caf error> " + sys().render(e); });
    return out;
  }
  // Stores both tasks' snapshots of a checkpoint, then completes it.
  void complete(uint64_t job, uint64_t id, bool savepoint, uint32_t retained) {
    for (uint32_t t = 0; t < 2; ++t)
      ASSERT_EQ(request_error(store_atom::value, upload(job, id, t, "snap " + std::to_string(id))),
                "");
    ASSERT_EQ(request_error(complete_atom::value, sample(job, id, savepoint), retained), "");
  }
  std::vector<checkpoint_record> completed(uint64_t job) {
    caf::scoped_actor self{sys()};
    std::vector<checkpoint_record> out;
    self->request(store_, timeout, load_atom::value, job)
        .receive(
            [&](const status& e, const std::vector<checkpoint_record>& rs) {
              EXPECT_EQ(e.message(), "");
              out = rs;
            },
            [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
    return out;
  }

  static constexpr auto timeout = std::chrono::seconds(10);
  caf::actor store_;
};

// A snapshot stored in chunks loads back chunk by chunk; a missing one
// replies an error and no bytes.
TEST_F(checkpoint_store_actor_test, store_and_load_a_snapshot) {
  const std::string bytes("\0snapshot\xff", 10);
  ASSERT_EQ(request_error(store_atom::value, upload(1, 2, 3, bytes.substr(0, 4), 0, 2)), "");
  ASSERT_EQ(request_error(store_atom::value, upload(1, 2, 3, bytes.substr(4), 1, 2)), "");
  caf::scoped_actor self{sys()};
  std::string got;
  for (uint32_t chunk : {0, 1}) {
    self->request(store_, timeout, load_atom::value, uint64_t{1}, uint64_t{2}, uint32_t{3}, chunk)
        .receive(
            [&](const status& e, uint32_t chunks, const std::string& piece) {
              EXPECT_EQ(e.message(), "");
              EXPECT_EQ(chunks, 2u);
              got += piece;
            },
            [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
  }
  EXPECT_EQ(got, bytes);
  self->request(store_, timeout, load_atom::value, uint64_t{1}, uint64_t{2}, uint32_t{4},
                uint32_t{0})
      .receive(
          [&](const status& e, uint32_t chunks, const std::string& piece) {
            EXPECT_NE(e.message().find("has no snapshot of task 4"), std::string::npos)
                << e.message();
            EXPECT_EQ(chunks, 0u);
            EXPECT_EQ(piece, "");
          },
          [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
}

// Retention through the actor keeps what the kept checkpoint needs: task 0
// writes a base at 1 and deltas at 2 and 3; with one retained, 3 is listed
// and 1 and 2 stay loadable.
TEST_F(checkpoint_store_actor_test, complete_keeps_needed_snapshots) {
  for (uint64_t id : {1, 2, 3}) {
    std::vector<uint64_t> needs;
    for (uint64_t e = 1; e < id; ++e) needs.push_back(e);
    ASSERT_EQ(request_error(store_atom::value, upload(6, id, 0, "t0", 0, 1, needs)), "");
    ASSERT_EQ(request_error(store_atom::value, upload(6, id, 1, "t1")), "");
    ASSERT_EQ(request_error(complete_atom::value, sample(6, id, false), uint32_t{1}), "");
  }
  auto rs = completed(6);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].tasks[0].needs, (std::vector<uint64_t>{1, 2}));
  caf::scoped_actor self{sys()};
  for (auto [id, task, found] : {std::tuple<uint64_t, uint32_t, bool>{1, 0, true},
                                 {2, 0, true},
                                 {1, 1, false},
                                 {2, 1, false}}) {
    self->request(store_, timeout, load_atom::value, uint64_t{6}, id, task, uint32_t{0})
        .receive(
            [&](const status& e, uint32_t, const std::string&) {
              EXPECT_EQ(e.message().empty(), found) << id << "/" << task;
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
            [&](const status& e, const checkpoint_record& r) {
              if (id == "3-17") {
                EXPECT_EQ(e.message(), "");
                EXPECT_TRUE(same(r, sample(3, 17, true)));
              } else {
                EXPECT_NE(e.message(), "") << id;
              }
            },
            [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
  }
  self->request(store_, timeout, load_atom::value, savepoint_atom::value)
      .receive(
          [&](const status& e, const std::vector<checkpoint_record>& rs) {
            EXPECT_EQ(e.message(), "");
            ASSERT_EQ(rs.size(), 1u);
            EXPECT_EQ(rs[0].id, 17u);
          },
          [&](caf::error& e) { ADD_FAILURE() << sys().render(e); });
}

// highest_atom numbers past everything stored; drop_atom keeps only savepoints.
TEST_F(checkpoint_store_actor_test, highest_and_drop) {
  complete(4, 1, true, 3);
  complete(4, 2, false, 3);
  ASSERT_EQ(request_error(store_atom::value, upload(4, 6, 0, "x")), "");
  caf::scoped_actor self{sys()};
  auto highest = [&] {
    uint64_t out = 0;
    self->request(store_, timeout, highest_atom::value, uint64_t{4})
        .receive(
            [&](const status& e, uint64_t id) {
              EXPECT_EQ(e.message(), "");
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
