// The REST API's documents (runtime/cli/web/rest_json.hpp), the rates of the
// job history (job_history.hpp) and the HTTP endpoint's refusals
// (actors/web/http_endpoint.hpp), each from made-up inputs whose figures are
// computed here by hand.
#include <gtest/gtest.h>

#include <httplib.h>

#include "metrics/prometheus_text.hpp"
#include "web/coordinator_metrics.hpp"
#include "web/http_endpoint.hpp"
#include "web/job_history.hpp"
#include "web/rest_json.hpp"

namespace nagare::cli::web {
namespace {

// Two vertices: a source (parallelism 2) hashed into a counter (parallelism 1).
job_graph two_vertices() {
  job_graph g;
  g.vertices = {{0, "lines -> parse", 2, true}, {1, "count -> write", 1, false}};
  g.edges = {{0, 1, "HASH"}};
  return g;
}

task_info task(const std::string& id, uint32_t subtask, uint64_t in, uint64_t out, uint64_t busy_ns,
               uint64_t bp_ns, int64_t watermark = min_timestamp) {
  task_info t;
  t.id = id;
  t.subtask = subtask;
  t.state = task_state::running;
  t.stats.records_in = in;
  t.stats.records_out = out;
  t.stats.busy_ns = busy_ns;
  t.stats.backpressured_ns = bp_ns;
  t.watermark = watermark;
  return t;
}

// Rates from two readings 2 s apart: records per second summed per vertex,
// ratios and lag the worst subtask's.
TEST(rest_api, rates_between_two_readings) {
  auto g = two_vertices();
  std::vector<task_info> before = {task("1.0", 0, 100, 100, 0, 0, 1000),
                                   task("1.1", 1, 50, 50, 0, 0, 2000), task("1.2", 0, 0, 0, 0, 0)};
  std::vector<task_info> now = {task("1.0", 0, 300, 300, 500'000'000, 1'000'000'000, 5000),
                                task("1.1", 1, 150, 150, 1'000'000'000, 0, 9000),
                                task("1.2", 0, 450, 0, 200'000'000, 0, 4000)};
  auto s = rates_between(g, before, now, 2.0, 10.0);
  ASSERT_EQ(s.tasks.size(), 3u);
  EXPECT_DOUBLE_EQ(s.tasks[0].records_out_per_s, 100);
  EXPECT_DOUBLE_EQ(s.tasks[0].busy_ratio, 0.25);
  EXPECT_DOUBLE_EQ(s.tasks[0].backpressured_ratio, 0.5);
  EXPECT_DOUBLE_EQ(s.tasks[0].idle_ratio, 0.25);
  ASSERT_EQ(s.vertices.size(), 2u);
  EXPECT_DOUBLE_EQ(s.vertices[0].records_out_per_s, 150);  // 100 + 50
  EXPECT_DOUBLE_EQ(s.vertices[0].busy_ratio, 0.5);         // the busier subtask
  EXPECT_DOUBLE_EQ(s.vertices[0].backpressured_ratio, 0.5);
  EXPECT_DOUBLE_EQ(*s.vertices[0].watermark_lag_ms, 10'000 - 5000);  // the slower watermark
  EXPECT_DOUBLE_EQ(s.vertices[1].records_in_per_s, 225);
  EXPECT_DOUBLE_EQ(*s.vertices[1].watermark_lag_ms, 6000);
  // A subtask without a watermark holds its vertex's back: no lag to show.
  now[1].watermark = min_timestamp;
  EXPECT_FALSE(rates_between(g, before, now, 2.0, 10.0).vertices[0].watermark_lag_ms);
}

// A job document sums its subtasks per vertex and keeps the graph's edges.
TEST(rest_api, job_document_sums_subtasks_per_vertex) {
  job_view v;
  v.job = {7, "counts", job_state::running, 2, 12.5, "", 1000.0, {}};
  v.graph = two_vertices();
  v.tasks = {task("7.0", 0, 10, 10, 0, 0), task("7.1", 1, 20, 20, 0, 0),
             task("7.2", 0, 30, 0, 0, 0)};
  v.tasks[1].dead_letters = 4;
  v.restarts = 1;
  auto j = job_json(v);
  EXPECT_NE(j.find(R"("id":7,"name":"counts","state":"RUNNING","start_unix_s":1000,)"),
            std::string::npos)
      << j;
  EXPECT_NE(
      j.find(
          R"("name":"lines -> parse","parallelism":2,"is_source":true,"metrics":{"records_in":30,"records_out":30,)"),
      std::string::npos)
      << j;
  EXPECT_NE(j.find(R"("dead_letters":4)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("watermark":null,"watermark_lag_ms":null)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("edges":[{"source":0,"target":1,"partition":"HASH"}])"), std::string::npos)
      << j;
  EXPECT_NE(j.find(R"("restarts":1,"restarting":false)"), std::string::npos) << j;
}

TEST(rest_api, checkpoint_counts_and_latest) {
  std::vector<checkpoint_info> h(3);
  h[0].id = 1, h[0].status = checkpoint_status::completed, h[0].bytes = 10;
  h[1].id = 2, h[1].status = checkpoint_status::failed, h[1].reason = "timeout";
  h[2].id = 3, h[2].status = checkpoint_status::in_progress;
  auto j = checkpoints_json(h);
  EXPECT_NE(j.find(R"("counts":{"completed":1,"failed":1,"in_progress":1})"), std::string::npos)
      << j;
  EXPECT_NE(j.find(R"("latest_completed":{"id":1,"kind":"CHECKPOINT","status":"COMPLETED")"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find(R"("reason":"timeout")"), std::string::npos) << j;
}

// Names are data: quotes and control characters are escaped, never markup.
TEST(rest_api, strings_are_escaped) {
  job_info j{1, "a\"b</script>\n", job_state::failed, 1, 0, "bad \"input\"", 0, {}};
  auto out = jobs_json({j});
  EXPECT_NE(out.find(R"("name":"a\"b</script>\n")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("start_unix_s":null)"), std::string::npos) << out;
}

TEST(rest_api, prometheus_targets_list_alive_nodes_with_an_endpoint) {
  node_info a, b, c;
  a.name = "n1", a.usage.metrics_address = "127.0.0.1:9001";
  b.name = "n2", b.usage.metrics_address = "127.0.0.1:9002", b.state = node_state::lost;
  c.name = "n3";  // exports nothing
  auto t = prometheus_targets_json("127.0.0.1:8081", {a, b, c});
  EXPECT_EQ(
      t, R"([{"targets":["127.0.0.1:8081"],"labels":{"nagare_role":"coordinator"}},)"
         R"({"targets":["127.0.0.1:9001"],"labels":{"nagare_role":"node","nagare_node":"n1"}}])");
}

// The coordinator's job metrics count each checkpoint once, when it ends,
// also when an older one ends after a newer one.
TEST(rest_api, coordinator_metrics_count_each_checkpoint_once) {
  auto reg = std::make_shared<metric_registry>();
  coordinator_metrics m(reg);
  job_info job{3, "j", job_state::running, 1, 5, "", 0, {}};
  auto ck = [](uint64_t id, checkpoint_status s, double ms) {
    checkpoint_info c;
    c.id = id;
    c.status = s;
    c.duration_ms = ms;
    c.bytes = id * 100;
    return c;
  };
  std::vector<checkpoint_info> h = {ck(1, checkpoint_status::completed, 20),
                                    ck(2, checkpoint_status::in_progress, 0),
                                    ck(3, checkpoint_status::completed, 40)};
  m.observe_job(job, h, {});
  m.observe_job(job, h, {});  // the same reading again: nothing new
  h[1] = ck(2, checkpoint_status::failed, 0);
  h.push_back(ck(4, checkpoint_status::completed, 80));
  m.observe_job(job, h, {restart_info{}});
  auto text = prometheus_text(reg->groups());
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  const std::string labels = R"({job="j",job_id="3"})";
  EXPECT_TRUE(has("nagare_job_checkpoints_completed_total" + labels + " 3")) << text;
  EXPECT_TRUE(has("nagare_job_checkpoints_failed_total" + labels + " 1")) << text;
  EXPECT_TRUE(has("nagare_job_checkpoint_duration_seconds_count" + labels + " 3")) << text;
  EXPECT_TRUE(has("nagare_job_last_checkpoint_size_bytes" + labels + " 400")) << text;
  EXPECT_TRUE(has("nagare_job_restarts_total" + labels + " 1")) << text;
  m.forget_except({});
  EXPECT_EQ(prometheus_text(reg->groups()).find("nagare_job_"), std::string::npos);
}

// The endpoint serves its routes, answers JSON errors, and refuses what a
// browser could be made to send by another site.
TEST(rest_api, http_endpoint_routes_and_refusals) {
  http_endpoint http;
  http.get(R"(/v1/things/(\d+))", [](const http_request& r) {
    http_response out;
    out.body = "{\"thing\":" + r.matches.at(0) + "}";
    return out;
  });
  http.post("/v1/act", [](const http_request&) { return http_response{}; });
  ASSERT_TRUE(http.start("127.0.0.1:0").ok());
  EXPECT_TRUE(http.loopback());
  auto port = std::stoi(http.address().substr(http.address().rfind(':') + 1));
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/v1/things/42");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"thing\":42}");
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(c.Get("/nothing")->status, 404);
  EXPECT_EQ(c.Post("/v1/act", "", "application/json")->status, 200) << "no Origin: not a browser";
  EXPECT_EQ(c.Post("/v1/act", {{"Origin", "http://127.0.0.1:" + std::to_string(port)}}, "",
                   "application/json")
                ->status,
            200)
      << "the dashboard's own origin";
  auto forged = c.Post("/v1/act", {{"Origin", "http://evil.example"}}, "", "application/json");
  EXPECT_EQ(forged->status, 403);
  EXPECT_NE(forged->body.find("cross-site"), std::string::npos) << forged->body;
  EXPECT_EQ(c.Get("/v1/things/1", {{"Host", "evil.example"}})->status, 403) << "DNS rebinding";
  EXPECT_EQ(c.Get("/v1/things/1", {{"Host", "localhost:" + std::to_string(port)}})->status, 200);

  http_endpoint busy;
  auto st = busy.start(http.address());
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cannot listen on " + http.address()), std::string::npos)
      << st.message();
  EXPECT_EQ(http_endpoint().start("127.0.0.1:99999").code(), errc::invalid_argument);
  EXPECT_EQ(http_endpoint().start("nohost").code(), errc::invalid_argument);
}

}  // namespace
}  // namespace nagare::cli::web
