// The checkpoint store across jobs: the highest job id it holds anything of,
// and the jobs with complete checkpoints or savepoints (what a coordinator
// needs to never reuse a job id and to rebuild lost job records).
#include "checkpoint_store_fixture.hpp"

namespace nagare::testing {
namespace {

class checkpoint_store_jobs_test : public checkpoint_store_fixture,
                                   public ::testing::WithParamInterface<bool> {
 protected:
  checkpoint_store_jobs_test() : checkpoint_store_fixture(GetParam()) {}
};

// An empty store holds no job.
TEST_P(checkpoint_store_jobs_test, empty_store_has_no_jobs) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->highest_job_id().value(), 0u);
  EXPECT_TRUE(s->jobs_with_checkpoints().value().empty());
}

// A snapshot without any complete checkpoint still counts for the highest
// id (its job existed), but not as a job with checkpoints.
TEST_P(checkpoint_store_jobs_test, snapshot_alone_counts_for_the_highest_id) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete(*s, 3, 1);
  ASSERT_TRUE(s->put_snapshot(41, 1, 0, "bytes", true).ok());
  EXPECT_EQ(s->highest_job_id().value(), 41u);
  EXPECT_EQ(s->jobs_with_checkpoints().value(), (std::vector<uint64_t>{3}));
}

// Job ids compare as numbers: 0x10 is above 0xf (keys hold fixed-width hex).
TEST_P(checkpoint_store_jobs_test, highest_id_is_numeric) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete(*s, 15, 1);
  complete(*s, 16, 2);
  complete(*s, 9, 4);
  EXPECT_EQ(s->highest_job_id().value(), 16u);
  EXPECT_EQ(s->jobs_with_checkpoints().value(), (std::vector<uint64_t>{9, 15, 16}));
}

// A job whose checkpoints were dropped but whose savepoint stays is listed,
// once; a job dropped entirely is not, but the highest id remembers nothing
// of it either (the coordinator's own records and job id mark cover that).
TEST_P(checkpoint_store_jobs_test, savepoints_keep_a_job_listed) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  complete(*s, 2, 1);
  complete(*s, 2, 2, /*savepoint=*/true);
  complete(*s, 7, 1);
  ASSERT_TRUE(s->drop_job(2).ok());
  ASSERT_TRUE(s->drop_job(7).ok());
  EXPECT_EQ(s->jobs_with_checkpoints().value(), (std::vector<uint64_t>{2}));
  EXPECT_EQ(s->highest_job_id().value(), 2u);
}

INSTANTIATE_TEST_SUITE_P(backends, checkpoint_store_jobs_test, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "leveldb" : "memory"; });

}  // namespace
}  // namespace nagare::testing
