// What the admin shell prints for checkpoints and restarts (shell/render.hpp):
// exact tables and lines for given answers of the coordinator. Times are
// shown in local time; these tests set TZ=UTC. Expected text worked out by
// hand from table.hpp's rules: columns two spaces apart, numbers and
// durations/sizes right-aligned, no trailing blanks.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "shell/render.hpp"

namespace nagare::cli::shell {

namespace {

// 2026-11-25 00:33:27 UTC.
constexpr double t0 = 1795566807;

class shell_render : public testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_ = tz;
    had_tz_ = std::getenv("TZ") != nullptr;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_)
      setenv("TZ", saved_.c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }

 private:
  bool had_tz_ = false;
  std::string saved_;
};

task_checkpoint_info task(uint32_t index, std::string chain, uint32_t subtask, bool acked,
                          uint64_t bytes, double alignment_ms, double duration_ms,
                          double sync_ms = 0, double async_ms = 0) {
  task_checkpoint_info t;
  t.task = index;
  t.chain = std::move(chain);
  t.subtask = subtask;
  t.acknowledged = acked;
  t.bytes = bytes;
  t.alignment_ms = alignment_ms;
  t.sync_ms = sync_ms;
  t.async_ms = async_ms;
  t.duration_ms = duration_ms;
  return t;
}

checkpoint_info checkpoint(uint64_t id, checkpoint_kind kind, checkpoint_status status,
                           double started, double duration_ms, uint64_t bytes, double alignment_ms,
                           std::string reason = "") {
  checkpoint_info c;
  c.id = id;
  c.kind = kind;
  c.status = status;
  c.started_unix_s = started;
  c.duration_ms = duration_ms;
  c.bytes = bytes;
  c.alignment_ms = alignment_ms;
  c.reason = std::move(reason);
  return c;
}

// A completed savepoint of job 7 and its three tasks.
checkpoint_info completed_savepoint() {
  auto c = checkpoint(2, checkpoint_kind::savepoint, checkpoint_status::completed, t0 + 2, 153,
                      3 * 1024 * 1024, 41.6);
  c.tasks = {task(0, "generate", 0, true, 1024 * 1024, 0, 20.4, 1.5, 12),
             task(1, "generate", 1, true, 1536 * 1024, 0, 21, 2.25, 14),
             task(2, "count -> write", 0, true, 512, 41.6, 35.2, 0.4, 3.5)};
  return c;
}

// A task's detail shows its watermark: none yet, a time in ms, idle, or the end of its input.
TEST_F(shell_render, task_detail_shows_the_watermark) {
  auto watermark_line = [](int64_t wm, bool idle) {
    task_info t;
    t.watermark = wm;
    t.idle = idle;
    auto text = render_task(t);
    auto at = text.find("\nwatermark ");
    if (at == std::string::npos) return std::string("(no watermark line)");
    auto line = text.substr(at + 1, text.find('\n', at + 1) - at - 1);
    return line.substr(line.find_first_not_of(' ', std::string("watermark").size()));
  };
  EXPECT_EQ(watermark_line(min_timestamp, false), "none yet");
  EXPECT_EQ(watermark_line(1795566807123, false), "1795566807123 ms");
  EXPECT_EQ(watermark_line(-5, true), "-5 ms (idle)");
  EXPECT_EQ(watermark_line(max_timestamp, false), "end of input");
}

// `list` and the shell's `jobs`: a running job's throughput (what its
// sources produce, what its sinks take in) and newest checkpoint with its
// age; an ended job has neither.
TEST_F(shell_render, jobs_table_with_throughput_and_last_checkpoint) {
  job_info running;
  running.id = 3;
  running.name = "clicks";
  running.state = job_state::running;
  running.parallelism = 4;
  running.uptime_s = 125;
  running.progress.measured = true;
  running.progress.records_in_per_s = 12345.6;
  running.progress.records_out_per_s = 980;
  running.progress.last_checkpoint = 7;
  running.progress.last_checkpoint_unix_s = t0 - 3;
  job_info done;
  done.id = 4;
  done.name = "wordcount";
  done.state = job_state::finished;
  done.parallelism = 2;
  done.uptime_s = 0.1;
  EXPECT_EQ(render_jobs({running, done}, t0),
            "ID  NAME       STATE     PARALLELISM  UPTIME  IN        OUT    CHECKPOINT    REASON\n"
            " 3  clicks     RUNNING             4  2m05s   12.3 K/s  980/s  7 (3.0s ago)\n"
            " 4  wordcount  FINISHED            2  0.1s           -      -             -\n");
  EXPECT_EQ(render_jobs({}, t0), "no jobs\n");
}

// The list: one row per checkpoint, the failure's reason last; sizes and
// durations right-aligned, start times of day in local time.
TEST_F(shell_render, checkpoints_table) {
  std::vector<checkpoint_info> list = {
      checkpoint(1, checkpoint_kind::checkpoint, checkpoint_status::completed, t0 + 0.25, 12.4,
                 1536, 0.3),
      checkpoint(2, checkpoint_kind::savepoint, checkpoint_status::completed, t0 + 2, 153,
                 3 * 1024 * 1024, 41.6),
      checkpoint(3, checkpoint_kind::checkpoint, checkpoint_status::failed, t0 + 62, 60000, 0, 0,
                 "timed out after 60000 ms"),
  };
  EXPECT_EQ(render_checkpoints(list),
            "ID  KIND        STATUS     STARTED   DURATION  SIZE     ALIGNMENT  REASON\n"
            " 1  CHECKPOINT  COMPLETED  00:33:27     12 ms  1.5 KiB     0.3 ms\n"
            " 2  SAVEPOINT   COMPLETED  00:33:29    153 ms  3.0 MiB      42 ms\n"
            " 3  CHECKPOINT  FAILED     00:34:29  60000 ms      0 B     0.0 ms  timed out after "
            "60000 ms\n");
}

// A job without checkpoints says so instead of printing an empty table.
TEST_F(shell_render, no_checkpoints) { EXPECT_EQ(render_checkpoints({}), "no checkpoints\n"); }

// One checkpoint in full: its fields (with the date), then a row per task,
// named JOB.TASK as `actors` names them.
TEST_F(shell_render, checkpoint_detail) {
  EXPECT_EQ(render_checkpoint(7, completed_savepoint()),
            "checkpoint    2 of job 7\n"
            "kind          SAVEPOINT\n"
            "status        COMPLETED\n"
            "started       2026-11-25 00:33:29\n"
            "duration      153 ms\n"
            "size          3.0 MiB (3145728 bytes)\n"
            "alignment     42 ms (the longest of any task)\n"
            "acknowledged  3 of 3 tasks\n"
            "\n"
            "TASK  CHAIN           SUBTASK  ACKED  SIZE     ALIGNMENT  SYNC    ASYNC   DURATION\n"
            " 7.0  generate              0  yes    1.0 MiB     0.0 ms  1.5 ms   12 ms     20 ms\n"
            " 7.1  generate              1  yes    1.5 MiB     0.0 ms  2.2 ms   14 ms     21 ms\n"
            " 7.2  count -> write        0  yes      512 B      42 ms  0.4 ms  3.5 ms     35 ms\n");
}

// A failed checkpoint shows its reason and which tasks never acknowledged.
TEST_F(shell_render, failed_checkpoint_detail) {
  auto c = checkpoint(4, checkpoint_kind::checkpoint, checkpoint_status::failed, t0, 60000, 2048, 0,
                      "timed out");
  c.tasks = {task(0, "generate", 0, true, 2048, 0, 3.25), task(1, "write", 0, false, 0, 0, 0)};
  EXPECT_EQ(render_checkpoint(3, c),
            "checkpoint    4 of job 3\n"
            "kind          CHECKPOINT\n"
            "status        FAILED\n"
            "started       2026-11-25 00:33:27\n"
            "duration      60000 ms\n"
            "size          2.0 KiB (2048 bytes)\n"
            "alignment     0.0 ms (the longest of any task)\n"
            "acknowledged  1 of 2 tasks\n"
            "reason        timed out\n"
            "\n"
            "TASK  CHAIN     SUBTASK  ACKED  SIZE     ALIGNMENT  SYNC    ASYNC   DURATION\n"
            " 3.0  generate        0  yes    2.0 KiB     0.0 ms  0.0 ms  0.0 ms    3.2 ms\n"
            " 3.1  write           0  no         0 B     0.0 ms  0.0 ms  0.0 ms    0.0 ms\n");
}

// `checkpoint JOB` prints one line: duration and size when it completed, the
// reason when it failed.
TEST_F(shell_render, checkpoint_result_lines) {
  EXPECT_EQ(
      render_checkpoint_result(3, checkpoint(18, checkpoint_kind::checkpoint,
                                             checkpoint_status::completed, t0, 12.4, 1536, 0.3)),
      "checkpoint 18 of job 3 COMPLETED in 12 ms, 1.5 KiB\n");
  EXPECT_EQ(render_checkpoint_result(
                3, checkpoint(19, checkpoint_kind::checkpoint, checkpoint_status::failed, t0, 60000,
                              0, 0, "task 3.4 declined: snapshot failed")),
            "checkpoint 19 of job 3 FAILED after 60000 ms: task 3.4 declined: snapshot failed\n");
  EXPECT_EQ(render_checkpoint_result(3, checkpoint(20, checkpoint_kind::checkpoint,
                                                   checkpoint_status::failed, t0, 5, 0, 0)),
            "checkpoint 20 of job 3 FAILED after 5.0 ms\n");
}

// Restarts: date and time in local time; "none" for a restart from the
// beginning, "-" for the downtime of one still restarting; the reason last.
TEST_F(shell_render, restarts_table) {
  restart_info r1;
  r1.attempt = 1;
  r1.at_unix_s = t0 + 0.5;
  r1.reason = "task 3.2 (count -> write) died: killed by request";
  r1.restored_checkpoint = 17;
  r1.downtime_ms = 153.2;
  r1.outcome = restart_outcome::running;
  restart_info r2;
  r2.attempt = 2;
  r2.at_unix_s = t0 + 62;
  r2.reason = "node 127.0.0.1:6201 was lost";
  r2.outcome = restart_outcome::restarting;
  EXPECT_EQ(render_restarts({r1, r2}),
            "ATTEMPT  WHEN                 CHECKPOINT  DOWNTIME  OUTCOME     REASON\n"
            "      1  2026-11-25 00:33:27          17    153 ms  RUNNING     task 3.2 (count -> "
            "write) died: killed by request\n"
            "      2  2026-11-25 00:34:29        none         -  RESTARTING  node 127.0.0.1:6201 "
            "was lost\n");
}

// A job that never restarted says so.
TEST_F(shell_render, no_restarts) { EXPECT_EQ(render_restarts({}), "no restarts\n"); }

// Savepoints by id (JOB-CHECKPOINT), with when they completed and their size.
TEST_F(shell_render, savepoints_table) {
  checkpoint_record a;
  a.job_id = 3;
  a.id = 17;
  a.savepoint = true;
  a.completed_ms = static_cast<int64_t>(t0 * 1000);
  a.bytes = 3 * 1024 * 1024 / 2;
  a.tasks.resize(4);
  checkpoint_record b = a;
  b.job_id = 12;
  b.id = 4;
  b.bytes = 700;
  b.tasks.resize(2);
  EXPECT_EQ(render_savepoints({a, b}),
            "ID    JOB  COMPLETED            SIZE     TASKS\n"
            "3-17    3  2026-11-25 00:33:27  1.5 MiB      4\n"
            "12-4   12  2026-11-25 00:33:27    700 B      2\n");
  EXPECT_EQ(render_savepoints({}), "no savepoints\n");
}

}  // namespace
}  // namespace nagare::cli::shell
