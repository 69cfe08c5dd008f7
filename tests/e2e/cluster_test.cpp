// The cluster end to end: a real coordinator and two real node processes on
// loopback, jobs submitted with `nagare submit` and followed with `wait`,
// `list` and the shell, a node killed with kill -9, and bad input.
#include <gtest/gtest.h>

#include <thread>

#include "cluster.hpp"
#include "job_waits.hpp"
#include "process.hpp"
#include "wordcount_reference.hpp"

namespace nagare::testing {
namespace {
void expect_one_line_error(const process_result& r, const std::string& phrase);

// A keyed count long enough to be looked at, stopped or killed while it runs.
std::string submit_long_job(test_cluster& c, const std::string& out) {
  return c.submit(job_library("keyed_count"), {"--parallelism", "4"},
                  {"--records", "50000000000", "--keys", "100000", "--output", out});
}

// WordCount with parallelism 4 over two nodes of two slots: subtasks 0 and 2
// run on one node, 1 and 3 on the other, so the keyed exchange crosses the
// network. The union of the outputs equals the independent count.
TEST(cluster, wordcount_over_two_nodes_matches_independent_count) {
  test_cluster c(2, 2);
  std::map<std::string, uint64_t> expected;
  std::vector<std::string> job_args = {"--input"};
  for (uint32_t i = 0; i < 3; ++i) {
    auto text = generate_text(100 + i, 20000 * (i + 1));
    count_words(text, expected);
    auto path = c.dir() / ("in" + std::to_string(i) + ".txt");
    write_file(path, text);
    job_args.push_back(path);
  }
  job_args.insert(job_args.end(), {"--output", c.dir() / "out"});
  auto id = c.submit(job_library("wordcount"), {"--parallelism", "4"}, job_args);
  auto waited = c.client("wait", {id});
  ASSERT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_EQ(trimmed(waited.out), "job " + id + " FINISHED");
  for (int n = 0; n < 2; ++n)
    EXPECT_NE(c.node(n).log().find("deployed 4 tasks of job " + id), std::string::npos)
        << c.node(n).log();
  auto got = parse_counts(read_result_lines(c.dir() / "out"));
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  // The nodes fetched the library from the coordinator: no shared job file.
  auto listed = c.client("list", {});
  EXPECT_NE(listed.out.find("wordcount"), std::string::npos);
  EXPECT_NE(listed.out.find("FINISHED"), std::string::npos);
}

// The shell shows both nodes, the job and all eight of its task actors on
// both nodes; `cancel` stops the job and `wait` reports it.
TEST(cluster, shell_shows_nodes_job_and_actors) {
  test_cluster c(2, 2);
  auto id = submit_long_job(c, c.dir() / "out");
  auto shell = [&](const std::string& command) { return c.client("shell", {"-c", command}); };
  auto nodes = shell("nodes");
  ASSERT_EQ(nodes.exit_code, 0) << nodes.err;
  EXPECT_NE(nodes.out.find(c.node_name(0)), std::string::npos) << nodes.out;
  EXPECT_NE(nodes.out.find(c.node_name(1)), std::string::npos) << nodes.out;
  auto jobs = shell("jobs");
  EXPECT_NE(jobs.out.find("keyed_count"), std::string::npos) << jobs.out;
  EXPECT_NE(jobs.out.find("RUNNING"), std::string::npos) << jobs.out;
  // Task actors answer once deployed; give the deployment a moment.
  process_result actors;
  for (int i = 0; i < 100; ++i) {
    actors = shell("actors " + id);
    if (actors.out.find("RUNNING") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(actors.exit_code, 0) << actors.err;
  for (int t = 0; t < 8; ++t)
    EXPECT_NE(actors.out.find(id + "." + std::to_string(t)), std::string::npos) << actors.out;
  EXPECT_NE(actors.out.find(c.node_name(0)), std::string::npos) << actors.out;
  EXPECT_NE(actors.out.find(c.node_name(1)), std::string::npos) << actors.out;
  auto inspected = shell("inspect " + id + ".0");
  EXPECT_EQ(inspected.exit_code, 0) << inspected.err;
  // A generator source parses nothing: its subtask has no dead letters.
  EXPECT_NE(inspected.out.find("dead letters"), std::string::npos) << inspected.out;
  EXPECT_EQ(shell("inspect " + id + ".99").exit_code, 1);  // no such task: failed
  EXPECT_EQ(shell("frobnicate").exit_code, 2);             // usage errors exit 2
  EXPECT_EQ(shell("inspect x").exit_code, 2);

  auto cancelled = c.client("cancel", {id});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.err;
  auto waited = c.client("wait", {id});
  EXPECT_NE(waited.exit_code, 0);
  EXPECT_NE(waited.err.find("CANCELED"), std::string::npos) << waited.err;
}

// kill -9 of a node: the coordinator notices through the closed connection
// and the job becomes FAILED with a reason naming the node, well within 10 s.
TEST(cluster, killed_node_fails_its_job_within_ten_seconds) {
  test_cluster c(2, 2);
  auto id = submit_long_job(c, c.dir() / "out");
  for (int i = 0; i < 200 && c.client("shell", {"-c", "actors " + id}).out.find("RUNNING") ==
                                 std::string::npos;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.node(1).kill9();
  auto waited = c.client("wait", {id}, {}, std::chrono::seconds(10));
  ASSERT_FALSE(waited.timed_out) << "job still running 10 s after its node was killed";
  EXPECT_NE(waited.exit_code, 0);
  EXPECT_NE(waited.err.find("FAILED"), std::string::npos) << waited.err;
  EXPECT_NE(waited.err.find(c.node_name(1)), std::string::npos) << waited.err;
  auto nodes = c.client("shell", {"-c", "nodes"});
  EXPECT_NE(nodes.out.find("LOST"), std::string::npos) << nodes.out;
  // The surviving node takes a new job (its slots were given back).
  auto again = c.submit(job_library("keyed_count"), {"--parallelism", "2"},
                        {"--records", "1000", "--keys", "10", "--output", c.dir() / "out2"});
  EXPECT_EQ(c.client("wait", {again}).exit_code, 0);
}

// `wait` ends with a clear error when the coordinator dies under it
// (regression: a pending request to a peer killed with -9 never returned).
TEST(cluster, wait_ends_when_the_coordinator_dies) {
  test_cluster c(1, 2);
  auto id = c.submit(job_library("keyed_count"), {"--parallelism", "2"},
                     {"--records", "50000000000", "--keys", "10", "--output", c.dir() / "out"});
  // Time for `wait` to connect first (300 ms was too little on a loaded
  // machine: the client then could not reach the coordinator at all).
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    c.coordinator_process().kill9();
  });
  auto waited = c.client("wait", {id}, {}, std::chrono::seconds(20));
  killer.join();
  EXPECT_FALSE(waited.timed_out);
  EXPECT_EQ(waited.exit_code, 1);
  EXPECT_NE(waited.err.find("lost the coordinator while waiting for job " + id), std::string::npos)
      << waited.err;
  // Its node stops its tasks and keeps trying to reach a coordinator again.
  bool reconnecting = false;
  for (int i = 0; i < 100 && !reconnecting; ++i) {
    reconnecting = c.node(0).log().find("reconnecting") != std::string::npos;
    if (!reconnecting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(reconnecting) << c.node(0).log();
  EXPECT_TRUE(c.node(0).running());
}

// A job that needs more slots than the cluster has is rejected, not queued.
TEST(cluster, job_larger_than_the_cluster_is_rejected) {
  test_cluster c(1, 2);
  auto r = c.client("submit", {job_library("keyed_count"), "--parallelism", "3"},
                    {"--records", "10", "--keys", "1", "--output", c.dir() / "out"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("rejected: job needs 3 slots but the cluster has 2 free"), std::string::npos)
      << r.err;
}

// Daemons read the same options from an INI file; the command line wins.
TEST(cluster, daemons_read_config_files_and_the_command_line_wins) {
  temp_dir d;
  auto from_file = "127.0.0.1:" + std::to_string(free_port());
  auto from_cli = "127.0.0.1:" + std::to_string(free_port());
  write_file(d / "coordinator.ini",
             "# the coordinator\nlisten = " + from_file + "\ndata-dir = " + (d / "c") + "\n");
  daemon_process coordinator({nagare_bin(), "coordinator", "--config", d / "coordinator.ini"},
                             d / "c1.log");
  process_result listed;
  for (int i = 0;
       i < 200 &&
       (listed = run_process({nagare_bin(), "list", "--coordinator", from_file})).exit_code != 0;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(listed.exit_code, 0) << coordinator.log();
  write_file(d / "node.ini",
             "coordinator = " + from_file + "\nslots = 3\ndata-dir = " + (d / "n") + "\n");
  daemon_process node(
      {nagare_bin(), "node", "--config", d / "node.ini", "--slots", "5", "--listen", from_cli},
      d / "n.log");
  for (int i = 0; i < 200 && node.log().find("registered as node") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  auto nodes = run_process({nagare_bin(), "shell", "--coordinator", from_file, "-c", "nodes"});
  EXPECT_NE(nodes.out.find(from_cli), std::string::npos) << nodes.out << node.log();
  EXPECT_NE(nodes.out.find("0/5"), std::string::npos) << nodes.out;  // --slots 5 beats slots = 3
  write_file(d / "bad.ini", "listen = 127.0.0.1:1\nno-such-option = 1\n");
  expect_one_line_error(
      run_process({nagare_bin(), "coordinator", "--config", d / "bad.ini", "--data-dir", d / "x"}),
      "no-such-option");
}

void expect_one_line_error(const process_result& r, const std::string& phrase) {
  EXPECT_FALSE(r.timed_out);
  EXPECT_GT(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(phrase), std::string::npos) << "expected '" << phrase << "' in: " << r.err;
}

// A node listening on every interface needs --advertise: peers connect to
// the address it advertises. With it, a job whose keyed exchange crosses to
// that node gives the independent count.
// Every interface is beyond loopback: TLS is needed (plaintext is refused).
TEST(cluster, wildcard_listen_needs_an_advertised_address) {
  temp_dir d;
  test_ca ca(d.path(), "cluster");
  test_cluster c(1, 2, {}, &ca);
  auto tls = ca.args(ca.issue("wild", "node"));
  auto port = std::to_string(free_port());
  std::vector<std::string> wild = {nagare_bin(),    "node",     "--coordinator",
                                   c.coordinator(), "--listen", "0.0.0.0:" + port,
                                   "--data-dir",    d / "n"};
  auto refused = run_process(wild, std::chrono::seconds(30));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--advertise HOST:PORT"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find('\n'), refused.err.size() - 1) << refused.err;
  wild.insert(wild.end(), {"--advertise", "127.0.0.1:" + port, "--slots", "2"});
  auto plaintext = run_process(wild, std::chrono::seconds(30));
  EXPECT_EQ(plaintext.exit_code, 2);
  EXPECT_NE(plaintext.err.find("0.0.0.0:" + port + " is not a loopback address"), std::string::npos)
      << plaintext.err;

  wild.insert(wild.end(), tls.begin(), tls.end());
  daemon_process node(wild, d / "node.log");
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (node.log().find("registered as node") == std::string::npos &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_NE(node.log().find("listening on 127.0.0.1:" + port), std::string::npos) << node.log();
  std::map<std::string, uint64_t> expected;
  auto text = generate_text(7, 20000);
  count_words(text, expected);
  write_file(d / "in.txt", text);
  auto id = c.submit(job_library("wordcount"), {"--parallelism", "4"},
                     {"--input", d / "in.txt", "--output", d / "out"});
  auto waited = c.client("wait", {id});
  ASSERT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_NE(node.log().find("deployed 4 tasks of job " + id), std::string::npos) << node.log();
  EXPECT_TRUE(parse_counts(read_result_lines(d / "out")) == expected);
}

// Clients get one clear line when the coordinator cannot be reached.
TEST(cluster_errors, unreachable_coordinator) {
  auto where = "127.0.0.1:" + std::to_string(free_port());
  for (const auto& command : {"list", "wait", "cancel", "shell"}) {
    std::vector<std::string> argv = {nagare_bin(), command, "--coordinator", where};
    if (std::string(command) == "wait" || std::string(command) == "cancel") argv.push_back("1");
    if (std::string(command) == "shell") argv.insert(argv.end(), {"-c", "nodes"});
    expect_one_line_error(run_process(argv, std::chrono::seconds(30)),
                          "cannot reach the coordinator at " + where);
  }
  temp_dir d;
  write_file(d / "in.txt", "a b\n");
  expect_one_line_error(
      run_process({nagare_bin(), "submit", job_library("wordcount"), "--coordinator", where, "--",
                   "--input", d / "in.txt", "--output", d / "out"}),
      "cannot reach the coordinator at " + where);
}

// Bad job files, unknown job ids and an occupied port.
TEST(cluster_errors, bad_job_unknown_id_and_occupied_port) {
  test_cluster c(1, 1);
  expect_one_line_error(c.client("submit", {c.dir() / "missing.so"}),
                        "missing.so': No such file or directory");
  expect_one_line_error(c.client("wait", {"999"}), "no job with id 999");
  expect_one_line_error(c.client("cancel", {"999"}), "no job with id 999");
  expect_one_line_error(c.client("wait", {"abc"}), "'abc' is not a job id");
  temp_dir d;
  auto second =
      run_process({nagare_bin(), "coordinator", "--listen", c.coordinator(), "--data-dir", d / "c"},
                  std::chrono::seconds(30));
  expect_one_line_error(second, "cannot listen on " + c.coordinator());
  expect_one_line_error(run_process({nagare_bin(), "node", "--coordinator", c.coordinator(),
                                     "--listen", c.node_name(0), "--data-dir", d / "n"},
                                    std::chrono::seconds(30)),
                        "cannot listen on " + c.node_name(0));
}

}  // namespace
}  // namespace nagare::testing
