// `nagare run`'s progress line (runtime/cli/run_progress.hpp) from made-up
// rates: sources' output and sinks' input per second, the sinks' watermark
// lag, the last checkpoint's age and duration.
#include "run_progress.hpp"

#include <gtest/gtest.h>

namespace nagare::cli {
namespace {

TEST(run_progress, line_from_rates_checkpoint_and_restarts) {
  job_info job{1, "clicks", job_state::running, 2, 62, "", 0, {}};
  job_graph g;
  g.vertices = {{0, "src", 2, true}, {1, "agg -> sink", 2, false}};
  g.edges = {{0, 1, "HASH"}};
  job_sample s;
  s.vertices.resize(2);
  s.vertices[0].records_out_per_s = 1'500'000;
  s.vertices[1].records_in_per_s = 2'500;
  s.vertices[1].watermark_lag_ms = 1200;
  checkpoint_info ck;
  ck.id = 7;
  ck.started_unix_s = 100;
  ck.duration_ms = 35;
  EXPECT_EQ(progress_line(job, g, &s, &ck, 2, 101.535),
            "clicks RUNNING 1m02s | in 1.50 M/s | out 2.5 K/s | watermark lag 1200 ms | "
            "checkpoint 7 1.5s ago (35 ms) | restarts 2");
  // Before the first sample and checkpoint: no rates to show yet.
  EXPECT_EQ(progress_line(job, g, nullptr, nullptr, 0, 0),
            "clicks RUNNING 1m02s | in - | out - | restarts 0");
}

}  // namespace
}  // namespace nagare::cli
