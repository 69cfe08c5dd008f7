// The web dashboard (runtime/web) in headless Chromium against the fixture server
// (scripts/lib/dashboard_fixture_server.py, the REST API with a made-up cluster): each page as a
// person sees it once its scripts ran, read from the DOM. Skipped when there is no browser.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "browser.hpp"
#include "dom_text.hpp"

namespace nagare::testing {
namespace {

// The repository: $NAGARE_SOURCE_DIR, else the first directory up from here that holds the
// fixture server.
std::string source_dir() {
  if (const char* dir = std::getenv("NAGARE_SOURCE_DIR"); dir && *dir) return dir;
  auto here = std::filesystem::current_path();
  for (auto dir = here; !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "scripts/lib/dashboard_fixture_server.py")) return dir;
    if (dir == dir.root_path()) break;
  }
  throw std::runtime_error("cannot find the repository: set NAGARE_SOURCE_DIR");
}

// The fixture server on a free port (it picks one and prints it), stopped on destruction.
class fixture_server {
 public:
  explicit fixture_server(const std::vector<std::string>& flags = {}) {
    std::string script = source_dir() + "/scripts/lib/dashboard_fixture_server.py";
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      std::vector<std::string> argv = {"python3", script, "--port", "0"};
      argv.insert(argv.end(), flags.begin(), flags.end());
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp("python3", args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    // "listening on http://127.0.0.1:PORT/\n" within 10 s.
    std::string line;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      auto n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) != 0 || line.find('\n') == std::string::npos) {
      stop();
      throw std::runtime_error("the fixture server did not start: " + line);
    }
    base_ = line.substr(prefix.size(), line.find('\n') - prefix.size());
  }
  ~fixture_server() { stop(); }
  fixture_server(const fixture_server&) = delete;
  fixture_server& operator=(const fixture_server&) = delete;

  // The dashboard at a route: url("jobs/1") is ".../#/jobs/1".
  std::string url(const std::string& route = "") const { return base_ + "#/" + route; }

 private:
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  pid_t pid_ = -1;
  std::string base_;
};

// A port nothing listens on: a free one, bound and released.
int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// -- the tests -------------------------------------------------------------------------------

class dashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    auto browser = find_browser();
    if (!browser.ok()) GTEST_SKIP() << browser.error().message();
  }

  // The page once it has been drawn with data (body data-ready="1"), which logged nothing to its
  // console (no exception, no failed request).
  static std::string page(const fixture_server& server, const std::string& route) {
    browser_options options;
    options.until = "data-ready=\"1\"";
    auto loaded = load_page(server.url(route), options);
    if (!loaded.ok()) throw std::runtime_error(loaded.error().message());
    for (const auto& message : loaded->console) ADD_FAILURE() << route << ": " << message;
    return loaded->dom;
  }
};

TEST_F(dashboard, overview_shows_the_jobs_and_the_nodes) {
  fixture_server server;
  auto dom = page(server, "");
  EXPECT_FALSE(contains(body_tag(dom), "data-error")) << body_tag(dom);
  auto jobs = texts(dom, "job-row-name");
  EXPECT_EQ(jobs, (std::vector<std::string>{"clickstream-sessions", "wordcount"}));
  EXPECT_EQ(texts(dom, "job-row-state"), (std::vector<std::string>{"RUNNING", "FINISHED"}));
  auto nodes = tags(dom, "node-row");
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(attr(nodes[0], "data-node-name"), "node-1");
  EXPECT_EQ(attr(nodes[1], "data-node-name"), "node-2");
  EXPECT_EQ(texts(dom, "node-state"), (std::vector<std::string>{"ALIVE", "ALIVE"}));
  EXPECT_TRUE(std::regex_match(text(dom, "node-rss"), std::regex("[0-9.]+ MiB")))
      << text(dom, "node-rss");
  EXPECT_EQ(text(dom, "overview-nodes"), "2");
  EXPECT_EQ(text(dom, "overview-running"), "1");
}

TEST_F(dashboard, jobs_page_lists_every_job) {
  fixture_server server;
  auto dom = page(server, "jobs");
  auto rows = tags(dom, "job-row");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(attr(rows[0], "data-job-id"), "1");
  EXPECT_EQ(texts(dom, "job-row-name"),
            (std::vector<std::string>{"clickstream-sessions", "wordcount"}));
}

TEST_F(dashboard, job_page_shows_graph_checkpoints_restarts_and_actions) {
  fixture_server server;
  auto dom = page(server, "jobs/1");
  EXPECT_EQ(text(dom, "job-name"), "clickstream-sessions");
  EXPECT_EQ(text(dom, "job-state"), "RUNNING");
  EXPECT_EQ(text(dom, "job-restarts"), "1 restart");

  // The graph: a box per vertex with its name, arrows labelled with the partitioning.
  std::vector<std::string> names;
  for (const auto& tag : tags(dom, "graph-vertex")) names.push_back(attr(tag, "data-vertex-name"));
  EXPECT_EQ(names,
            (std::vector<std::string>{"kafka_source(clicks) -> parse_click",
                                      "sessionize(user_id, gap 30 s)", "redis_sink(sessions)"}));
  std::vector<std::string> partitions;
  for (const auto& tag : tags(dom, "graph-edge")) partitions.push_back(attr(tag, "data-partition"));
  EXPECT_EQ(partitions, (std::vector<std::string>{"HASH", "REBALANCE"}));
  auto throughput = tags(dom, "vertex-throughput");
  ASSERT_EQ(throughput.size(), 3u);
  for (const auto& tag : throughput) {
    EXPECT_GT(std::stod(attr(tag, "data-value")), 0.0) << tag;
  }
  for (const auto& shown : texts(dom, "vertex-throughput")) {
    EXPECT_TRUE(std::regex_match(shown, std::regex("[0-9.]+( [KMG])?/s"))) << shown;
  }

  // Checkpoints: a completed one and the failed one, with their status as shown.
  bool completed = false, failed = false;
  for (const auto& row : tags(dom, "checkpoint-row")) {
    completed |= attr(row, "data-status") == "COMPLETED";
    failed |= attr(row, "data-status") == "FAILED";
  }
  EXPECT_TRUE(completed);
  EXPECT_TRUE(failed);
  auto statuses = texts(dom, "checkpoint-status");
  EXPECT_NE(std::find(statuses.begin(), statuses.end(), "COMPLETED"), statuses.end());

  // The restart with its cause.
  EXPECT_EQ(tags(dom, "restart-row").size(), 1u);
  EXPECT_EQ(text(dom, "restart-reason"), "node node-2 lost (no heartbeat for 5 s)");
  EXPECT_EQ(text(dom, "restart-outcome"), "RUNNING");

  // Actions are allowed by the fixture: the four buttons.
  for (const char* action :
       {"action-checkpoint", "action-savepoint", "action-stop", "action-cancel"})
    EXPECT_EQ(tags(dom, action).size(), 1u) << action;

  // The charts drew their lines.
  EXPECT_EQ(tags(dom, "chart-throughput").size(), 1u);
  EXPECT_TRUE(std::regex_search(dom, std::regex("<path class=\"line\"[^>]* d=\"M[0-9]")));
}

TEST_F(dashboard, nodes_page_shows_each_node) {
  fixture_server server;
  auto dom = page(server, "nodes");
  std::vector<std::string> names;
  for (const auto& tag : tags(dom, "node-row")) names.push_back(attr(tag, "data-node-name"));
  EXPECT_EQ(names, (std::vector<std::string>{"node-1", "node-2"}));
  EXPECT_EQ(texts(dom, "node-name"), names);
  EXPECT_EQ(tags(dom, "task-row").size(), 5u) << "2 + 2 + 1 subtasks of the running job";
}

TEST_F(dashboard, no_action_buttons_when_actions_are_not_allowed) {
  fixture_server server({"--no-actions"});
  auto dom = page(server, "jobs/1");
  EXPECT_EQ(text(dom, "job-name"), "clickstream-sessions");
  for (const char* action :
       {"action-checkpoint", "action-savepoint", "action-stop", "action-cancel"})
    EXPECT_TRUE(tags(dom, action).empty()) << action;
}

TEST_F(dashboard, names_from_the_api_are_shown_as_text) {
  fixture_server server({"--hostile-names"});
  const std::string script = "<script>document.body.dataset.pwned=\"script\"</script>";
  for (const std::string route : {"", "jobs", "jobs/3", "nodes"}) {
    auto dom = page(server, route);
    EXPECT_FALSE(contains(body_tag(dom), "pwned")) << route << ": a name's script ran";
    EXPECT_FALSE(contains(dom, "<img")) << route << ": a name's markup became an element";
    EXPECT_FALSE(contains(dom, script)) << route << ": a name's script became an element";
    if (route == "jobs") {
      auto names = texts(dom, "job-row-name");
      EXPECT_NE(std::find(names.begin(), names.end(),
                          "clicks " + script +
                              "<img src=x onerror=\"document.body.dataset.pwned='img'\">"),
                names.end());
    }
    if (route == "jobs/3") {
      EXPECT_TRUE(contains(text(dom, "job-name"), script)) << text(dom, "job-name");
      EXPECT_TRUE(contains(text(dom, "job-reason"), "<b>user code threw</b>"));
      EXPECT_TRUE(contains(text(dom, "restart-reason"), script));
      EXPECT_EQ(tags(dom, "graph-vertex").size(), 2u);
    }
  }
}

TEST_F(dashboard, banner_when_the_coordinator_cannot_be_reached) {
  fixture_server server({"--unreachable"});
  browser_options options;
  options.until = "data-error=";
  auto dom = dump_dom(server.url(""), options);
  ASSERT_TRUE(dom.ok()) << dom.error().message();
  EXPECT_TRUE(contains(body_tag(*dom), "data-error=\"cannot reach the coordinator\""))
      << body_tag(*dom);
  auto banner = tags(*dom, "offline-banner");
  ASSERT_EQ(banner.size(), 1u);
  EXPECT_FALSE(contains(banner[0], " hidden")) << banner[0];
  EXPECT_TRUE(contains(text(*dom, "offline-banner"), "Cannot reach the coordinator"));
}

TEST_F(dashboard, unknown_job_says_so) {
  fixture_server server;
  browser_options options;
  options.until = "data-error=";
  auto dom = dump_dom(server.url("jobs/99"), options);
  ASSERT_TRUE(dom.ok()) << dom.error().message();
  EXPECT_TRUE(contains(text(*dom, "page-error"), "no job 99")) << text(*dom, "page-error");
  EXPECT_TRUE(tags(*dom, "offline-banner").size() == 1 &&
              contains(tags(*dom, "offline-banner")[0], "hidden"));
}

TEST_F(dashboard, screenshot_is_a_png_of_the_window_size) {
  fixture_server server;
  std::string png = (std::filesystem::temp_directory_path() /
                     ("nagare-dashboard-" + std::to_string(::getpid()) + ".png"))
                        .string();
  browser_options options;
  options.width = 800;
  options.height = 600;
  auto st = screenshot(server.url("nodes"), png, options);
  ASSERT_TRUE(st.ok()) << st.message();
  // The IHDR chunk: width and height, big-endian, at bytes 16 and 20.
  std::ifstream f(png, std::ios::binary);
  unsigned char head[24] = {};
  f.read(reinterpret_cast<char*>(head), sizeof head);
  auto be32 = [&](int at) {
    return (head[at] << 24) | (head[at + 1] << 16) | (head[at + 2] << 8) | head[at + 3];
  };
  EXPECT_EQ(be32(16), 800);
  EXPECT_EQ(be32(20), 600);
  std::filesystem::remove(png);
}

TEST(browser, a_page_that_cannot_load_is_an_error) {
  if (!find_browser().ok()) GTEST_SKIP() << "no browser";
  browser_options options;
  options.virtual_time = std::chrono::milliseconds(500);
  auto dom = dump_dom("http://127.0.0.1:" + std::to_string(unused_port()) + "/", options);
  ASSERT_FALSE(dom.ok());
  EXPECT_TRUE(contains(dom.error().message(), "ERR_")) << dom.error().message();
}

}  // namespace
}  // namespace nagare::testing
