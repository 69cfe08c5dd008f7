// Watching a running job from outside, as an operator does: the nodes'
// Prometheus endpoints (/metrics), the coordinator's REST API and its
// dashboard in headless Chromium. A job counts the lines of files dropped
// into a monitored directory; the test knows how many lines (and empty
// ones) each file holds and checks the figures against them as they grow.
#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "browser.hpp"
#include "cluster.hpp"
#include "dom_text.hpp"
#include "process.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

struct reply {
  int status = 0;
  std::string body;
};

reply http(const std::string& address, const std::string& method, const std::string& path,
           const httplib::Headers& headers = {}) {
  auto colon = address.rfind(':');
  httplib::Client c(address.substr(0, colon), std::stoi(address.substr(colon + 1)));
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(60, 0);
  auto r = method == "POST" ? c.Post(path, headers, "", "application/json") : c.Get(path, headers);
  if (!r) return {0, "no answer: " + httplib::to_string(r.error())};
  return {r->status, r->body};
}

// The sum over every sample of `family` whose labels contain all of
// `labels` (Prometheus text), in the scraped text of each address.
double scrape_sum(const std::vector<std::string>& addresses, const std::string& family,
                  const std::vector<std::string>& labels = {}) {
  double total = 0;
  for (const auto& a : addresses) {
    auto r = http(a, "GET", "/metrics");
    std::istringstream in(r.body);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(family + "{", 0) != 0 && line.rfind(family + " ", 0) != 0) continue;
      bool all = true;
      for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
      if (all) total += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return total;
}

// Polls `f` until it returns true (false after `deadline`).
template <class F>
bool eventually(F f, std::chrono::seconds deadline = 30s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!f()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

// A file of `lines` lines, every `empty_every`-th one empty, added to `dir`
// under a hidden name and renamed once complete.
void add_file(const std::string& dir, const std::string& name, int lines, int empty_every) {
  {
    std::ofstream f(dir + "/." + name);
    for (int i = 0; i < lines; ++i)
      f << (i % empty_every == 0 ? "" : "w" + std::to_string(i % 97)) << '\n';
  }
  std::rename((dir + "/." + name).c_str(), (dir + "/" + name).c_str());
}

// A number after `"key":` in a JSON text (the first occurrence after `from`).
double json_number(const std::string& body, const std::string& key, size_t from = 0) {
  std::smatch m;
  std::string rest = body.substr(from);
  if (!std::regex_search(rest, m, std::regex("\"" + key + "\":(-?[0-9.eE+]+)"))) return -1;
  return std::stod(m[1]);
}

class observability : public ::testing::Test {
 protected:
  observability() : c(2, 2) {
    ::mkdir((c.dir() / "in").c_str(), 0755);
    job = c.submit(fixture_library("metered_lines"),
                   {"--parallelism", "2", "--checkpoint-interval", "200"},
                   {"--input-dir", c.dir() / "in", "--output", c.dir() / "out"});
    nodes = {c.node_metrics(0), c.node_metrics(1)};
  }
  std::string in() const { return c.dir() / "in"; }

  test_cluster c;
  std::string job;
  std::vector<std::string> nodes;
};

// The nodes' /metrics: the job's own metrics and the tasks' built-in ones
// count what the files hold, and grow as more files come.
TEST_F(observability, node_metrics_count_the_records_as_they_flow) {
  add_file(in(), "a.txt", 3000, 10);  // 300 empty lines
  ASSERT_TRUE(eventually([&] { return scrape_sum(nodes, "nagare_user_lines_total") == 3000; }))
      << scrape_sum(nodes, "nagare_user_lines_total");
  EXPECT_EQ(scrape_sum(nodes, "nagare_user_empty_lines_total"), 300);
  EXPECT_EQ(scrape_sum(nodes, "nagare_user_line_bytes_count"), 3000);
  EXPECT_EQ(scrape_sum(nodes, "nagare_user_line_bytes_bucket", {"le=\"0\""}), 300)
      << "the empty lines fall in the first bucket";
  // The source task produced every line; the counting task got the non-empty ones.
  ASSERT_TRUE(eventually([&] {
    return scrape_sum(nodes, "nagare_task_records_in_total",
                      {"task=\"lines -> measure -> pair\""}) == 3000 &&
           scrape_sum(nodes, "nagare_task_records_in_total", {"task=\"count -> write\""}) == 2700;
  })) << http(nodes[0], "GET", "/metrics").body;
  EXPECT_GT(scrape_sum(nodes, "nagare_task_busy_seconds_total"), 0);
  EXPECT_GT(scrape_sum(nodes, "process_resident_memory_bytes"), 0);
  EXPECT_NE(http(nodes[0], "GET", "/metrics").body.find("node=\""), std::string::npos);

  add_file(in(), "b.txt", 5000, 5);  // 1000 empty lines
  ASSERT_TRUE(eventually([&] { return scrape_sum(nodes, "nagare_user_lines_total") == 8000; }))
      << scrape_sum(nodes, "nagare_user_lines_total");
  EXPECT_EQ(scrape_sum(nodes, "nagare_user_empty_lines_total"), 1300);
  ASSERT_TRUE(eventually([&] {
    return scrape_sum(nodes, "nagare_task_records_in_total", {"task=\"count -> write\""}) == 6700;
  }));

  // The counting task's state: the 97 distinct lines ("w0" to "w96") as keys
  // and, in the memory backend, the bytes its last checkpoint encoded: at
  // least the keys' 281 characters.
  const std::vector<std::string> count_task = {"task=\"count -> write\""};
  EXPECT_EQ(scrape_sum(nodes, "nagare_task_state_entries", count_task), 97);
  ASSERT_TRUE(eventually([&] {
    return scrape_sum(nodes, "nagare_task_state_bytes",
                      {"task=\"count -> write\"", "backend=\"memory\""}) >= 281;
  })) << http(nodes[0], "GET", "/metrics").body;
  // The file sink's transactions: one sealed per subtask and checkpoint
  // with output, committed once the checkpoint completes.
  const std::vector<std::string> sink = {"operator=\"write\""};
  ASSERT_TRUE(eventually([&] {
    return scrape_sum(nodes, "nagare_sink_transactions_committed_total", sink) >= 2;
  })) << http(nodes[0], "GET", "/metrics").body;
  auto sealed = scrape_sum(nodes, "nagare_sink_transactions_sealed_total", sink);
  auto committed = scrape_sum(nodes, "nagare_sink_transactions_committed_total", sink);
  auto pending = scrape_sum(nodes, "nagare_sink_transactions_pending", sink);
  EXPECT_GE(sealed, committed + pending) << "read sealed first: it only grows";
  EXPECT_EQ(scrape_sum(nodes, "nagare_sink_transaction_failures_total", sink), 0);
  EXPECT_GT(scrape_sum(nodes, "nagare_sink_commit_seconds_count", sink), 0);
}

// `nagare list` shows the running job's throughput and its newest completed
// checkpoint, as the job's master measures them every second.
TEST_F(observability, list_shows_throughput_and_last_checkpoint) {
  std::atomic<bool> done{false};
  std::thread feeder([&] {
    for (int i = 0; !done; ++i) {
      add_file(in(), "f" + std::to_string(i) + ".txt", 2000, 4);
      std::this_thread::sleep_for(200ms);
    }
  });
  // ID NAME STATE PARALLELISM UPTIME IN OUT CHECKPOINT: a rate above zero
  // in both, and "N (Ts ago)".
  const std::regex row(
      " RUNNING +2 +\\S+ +[1-9][0-9.]*( [KMG])?/s +[1-9][0-9.]*( [KMG])?/s +"
      "[1-9][0-9]* \\([0-9.hms]+ ago\\)");
  std::string listed;
  bool shown = eventually([&] {
    listed = c.client("list", {}).out;
    return std::regex_search(listed, row);
  });
  done = true;
  feeder.join();
  EXPECT_TRUE(shown) << listed << c.coordinator_process().log();
  EXPECT_NE(listed.find("metered_lines"), std::string::npos) << listed;
}

// The REST API: the job's graph with its figures, its checkpoints, the
// cluster; actions refused to other sites.
TEST_F(observability, rest_api_describes_the_running_job) {
  add_file(in(), "a.txt", 4000, 4);  // 1000 empty lines
  const auto path = "/v1/jobs/" + job;
  ASSERT_TRUE(eventually([&] {
    auto r = http(c.web(), "GET", path);
    return r.status == 200 && json_number(r.body, "records_in") == 4000 &&
           json_number(r.body, "records_out") == 3000;
  })) << http(c.web(), "GET", path).body;
  auto j = http(c.web(), "GET", path).body;
  EXPECT_NE(j.find("\"name\":\"metered_lines\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"state\":\"RUNNING\""), std::string::npos) << j;
  auto count_at = j.find("\"name\":\"count -> write\"");
  ASSERT_NE(count_at, std::string::npos) << j;
  EXPECT_EQ(json_number(j, "records_in", count_at), 3000) << j;
  EXPECT_NE(j.find("\"partition\":\"HASH\""), std::string::npos) << j;

  ASSERT_TRUE(eventually([&] {
    return json_number(http(c.web(), "GET", path + "/checkpoints").body, "completed") >= 1;
  }));
  // The history holds a sample taken while the lines flowed.
  ASSERT_TRUE(eventually([&] {
    auto h = http(c.web(), "GET", path + "/history").body;
    return std::regex_search(h, std::regex("\"records_out_per_s\":[1-9]"));
  }));
  // The coordinator's own metrics.
  ASSERT_TRUE(eventually([&] {
    return scrape_sum({c.web()}, "nagare_job_checkpoints_completed_total",
                      {"job=\"metered_lines\""}) >= 1;
  })) << http(c.web(), "GET", "/metrics").body;
  EXPECT_EQ(scrape_sum({c.web()}, "nagare_cluster_nodes"), 2);
  auto overview = http(c.web(), "GET", "/v1/overview").body;
  EXPECT_EQ(json_number(overview, "nodes"), 2) << overview;
  EXPECT_EQ(json_number(overview, "running"), 1) << overview;
  auto nodes_json = http(c.web(), "GET", "/v1/nodes").body;
  EXPECT_GT(json_number(nodes_json, "rss_bytes"), 0) << nodes_json;
  EXPECT_EQ(http(c.web(), "GET", "/v1/jobs/999").status, 404);

  // A checkpoint by hand; refused when a page of another site asks.
  auto evil = http(c.web(), "POST", path + "/checkpoints", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(evil.status, 403) << evil.body;
  auto rebound = http(c.web(), "GET", path, {{"Host", "evil.example:8081"}});
  EXPECT_EQ(rebound.status, 403) << rebound.body;
  auto ck = http(c.web(), "POST", path + "/checkpoints");
  EXPECT_EQ(ck.status, 200) << ck.body;
  EXPECT_NE(ck.body.find("\"status\":\"COMPLETED\""), std::string::npos) << ck.body;
  // Its tasks' phases: the snapshot on the task's thread, then storing it,
  // both within the time from the trigger to the acknowledgement.
  auto detail = http(c.web(), "GET",
                     path + "/checkpoints/" + std::to_string(int(json_number(ck.body, "id"))));
  ASSERT_EQ(detail.status, 200) << detail.body;
  size_t tasks_seen = 0;
  for (auto at = detail.body.find("\"vertex_name\""); at != std::string::npos;
       at = detail.body.find("\"vertex_name\"", at + 1), ++tasks_seen) {
    double sync = json_number(detail.body, "sync_ms", at);
    double async = json_number(detail.body, "async_ms", at);
    double duration = json_number(detail.body, "duration_ms", at);
    EXPECT_GE(sync, 0) << detail.body;
    EXPECT_GT(async, 0) << detail.body;
    EXPECT_LE(sync + async, duration + 0.01) << detail.body;
  }
  EXPECT_EQ(tasks_seen, 4u) << detail.body;
  auto cancelled = http(c.web(), "POST", path + "/cancel");
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  ASSERT_TRUE(eventually(
      [&] { return http(c.web(), "GET", path).body.find("CANCELED") != std::string::npos; }));
}

// The dashboard in a real browser shows what a person looks for: the job's
// name and state, its graph, a throughput above zero, a completed checkpoint.
TEST_F(observability, dashboard_shows_the_running_job) {
  if (!find_browser().ok()) GTEST_SKIP() << "no browser: " << find_browser().error().message();
  add_file(in(), "a.txt", 4000, 4);
  // Lines keep coming for the throughput, checkpoints complete meanwhile.
  std::atomic<bool> done{false};
  std::thread feeder([&] {
    for (int i = 0; !done; ++i) {
      add_file(in(), "f" + std::to_string(i) + ".txt", 2000, 4);
      std::this_thread::sleep_for(300ms);
    }
  });
  ASSERT_TRUE(eventually([&] {
    return json_number(http(c.web(), "GET", "/v1/jobs/" + job + "/checkpoints").body,
                       "completed") >= 1;
  }));
  std::this_thread::sleep_for(3s);  // a few samples of the history
  browser_options options;
  options.until = "data-ready=\"1\"";
  auto page = load_page("http://" + c.web() + "/#/jobs/" + job, options);
  done = true;
  feeder.join();
  ASSERT_TRUE(page.ok()) << page.error().message();
  const auto& dom = page->dom;
  for (const auto& m : page->console) ADD_FAILURE() << "console: " << m;
  EXPECT_EQ(text(dom, "job-name"), "metered_lines");
  EXPECT_EQ(text(dom, "job-state"), "RUNNING");
  std::vector<std::string> vertices;
  for (const auto& tag : tags(dom, "graph-vertex"))
    vertices.push_back(attr(tag, "data-vertex-name"));
  EXPECT_EQ(vertices, (std::vector<std::string>{"lines -> measure -> pair", "count -> write"}));
  double fastest = 0;
  for (const auto& tag : tags(dom, "vertex-throughput"))
    fastest = std::max(fastest, std::stod(attr(tag, "data-value")));
  EXPECT_GT(fastest, 0) << "no vertex shows records flowing";
  auto statuses = texts(dom, "checkpoint-status");
  EXPECT_NE(std::find(statuses.begin(), statuses.end(), "COMPLETED"), statuses.end())
      << ::testing::PrintToString(statuses);
  // The overview lists the job and both nodes.
  auto overview = load_page("http://" + c.web() + "/#/", options);
  ASSERT_TRUE(overview.ok()) << overview.error().message();
  EXPECT_EQ(texts(overview->dom, "job-row-name"), (std::vector<std::string>{"metered_lines"}));
  EXPECT_EQ(tags(overview->dom, "node-row").size(), 2u);
}

}  // namespace
}  // namespace nagare::testing
