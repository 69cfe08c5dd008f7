// The YSB job (jobs/ysb) on a data set generated here in YSB's format, with
// its expected counts computed here from the generated lines (an independent
// port of YSB's dostats): from files, from a Kafka topic, and into Redis in
// YSB's layout with a node killed with SIGKILL mid-run. Views too late for
// their window (a few events an hour behind, planted in every split) go to
// the late output; each window's count plus its late views equals the
// expected count, and unknown ads and malformed lines are counted apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <sstream>

#include "cluster.hpp"
#include "job_waits.hpp"
#include "kafka_broker.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"
#include "servers.hpp"
#include "text_lines.hpp"

namespace nagare::testing {
namespace {

constexpr int64_t window_ms = 10000;
constexpr int64_t bound_ms = 500;
constexpr int64_t start_ms = 1'700'000'000'000;
constexpr int campaigns = 20;
constexpr int ads_per_campaign = 10;

std::string make_uuid(std::mt19937_64& rng) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    s += hex[rng() % 16];
  }
  return s;
}

// Campaigns and their ads, and events of several splits as YSB writes them.
struct data_set {
  std::vector<std::string> campaign_ids;
  std::map<std::string, std::string> campaign_of;  // ad -> campaign
  std::vector<std::vector<std::string>> splits;
  size_t malformed = 0;
  size_t planted_late = 0;
};

data_set generate(uint32_t seed, int split_count, int events_per_split) {
  std::mt19937_64 rng(seed);
  data_set d;
  std::vector<std::string> ads;
  for (int c = 0; c < campaigns; ++c) {
    d.campaign_ids.push_back(make_uuid(rng));
    for (int a = 0; a < ads_per_campaign; ++a) {
      ads.push_back(make_uuid(rng));
      d.campaign_of[ads.back()] = d.campaign_ids.back();
    }
  }
  const char* types[] = {"view", "click", "purchase"};
  const char* ad_types[] = {"banner", "modal", "sponsored-search", "mail", "mobile"};
  for (int s = 0; s < split_count; ++s) {
    std::vector<std::string> lines;
    for (int i = 0; i < events_per_split; ++i) {
      // Rising by 6 ms per event with jitter inside the bound: never late,
      // except the planted events an hour behind.
      int64_t t = start_ms + int64_t{i} * 6 + static_cast<int64_t>(rng() % (bound_ms / 2));
      if (i > events_per_split / 2 && i % (events_per_split / 4) == 0) {
        t -= 3'600'000;
        ++d.planted_late;
      }
      std::string ad = rng() % 50 == 0 ? make_uuid(rng) : ads[rng() % ads.size()];
      if (i % 997 == 500) {
        lines.push_back(i % 2 ? "{\"event_type\": \"view\", \"event_time\": \"12x\"}"
                              : "not json at all");
        ++d.malformed;
        continue;
      }
      std::ostringstream e;
      e << "{\"user_id\": \"" << make_uuid(rng) << "\", \"page_id\": \"" << make_uuid(rng)
        << "\", \"ad_id\": \"" << ad << "\", \"ad_type\": \"" << ad_types[rng() % 5]
        << "\", \"event_type\": \"" << types[rng() % 3] << "\", \"event_time\": \"" << t
        << "\", \"ip_address\": \"1.2.3.4\"}";
      lines.push_back(e.str());
    }
    d.splits.push_back(std::move(lines));
  }
  return d;
}

// The value of string field `name` in one of the generated lines ("" if none).
std::string field(const std::string& line, const std::string& name) {
  auto key = "\"" + name + "\": \"";
  auto at = line.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  return line.substr(at, line.find('"', at) - at);
}

int64_t window_of(int64_t t) { return t - ((t % window_ms) + window_ms) % window_ms; }

// Views per (campaign or "unknown", window start), from the lines alone.
std::map<std::pair<std::string, int64_t>, uint64_t> expected_views(const data_set& d) {
  std::map<std::pair<std::string, int64_t>, uint64_t> views;
  for (const auto& lines : d.splits)
    for (const auto& line : lines) {
      if (field(line, "event_type") != "view" || field(line, "ad_id").empty()) continue;
      auto c = d.campaign_of.find(field(line, "ad_id"));
      ++views[{c == d.campaign_of.end() ? "unknown" : c->second,
               window_of(std::stoll(field(line, "event_time")))}];
    }
  return views;
}

// What the job wrote: "campaign,window_start,count" lines, "window_start,count"
// lines of unknown ads, and "campaign|unknown,event_time" late views, as the
// same map (late views added to their windows).
std::map<std::pair<std::string, int64_t>, uint64_t> written_views(
    const std::vector<std::string>& counts, const std::vector<std::string>& unknown,
    const std::vector<std::string>& late, std::string* error) {
  std::map<std::pair<std::string, int64_t>, uint64_t> views;
  auto fields = [](const std::string& line) {
    std::vector<std::string> f;
    std::stringstream in(line);
    for (std::string x; std::getline(in, x, ',');) f.push_back(x);
    return f;
  };
  for (const auto& line : counts) {
    auto f = fields(line);
    if (f.size() != 3) {
      *error += "bad count line '" + line + "'\n";
      continue;
    }
    auto& v = views[{f[0], std::stoll(f[1])}];
    if (v != 0) *error += "window written twice: '" + line + "'\n";
    v += std::stoull(f[2]);
  }
  for (const auto& line : unknown) {
    auto f = fields(line);
    if (f.size() != 2) {
      *error += "bad unknown-ads line '" + line + "'\n";
      continue;
    }
    views[{"unknown", std::stoll(f[0])}] += std::stoull(f[1]);
  }
  for (const auto& line : late) {
    auto f = fields(line);
    if (f.size() != 2) {
      *error += "bad late line '" + line + "'\n";
      continue;
    }
    ++views[{f[0], window_of(std::stoll(f[1]))}];
  }
  return views;
}

std::string difference(const std::map<std::pair<std::string, int64_t>, uint64_t>& expected,
                       const std::map<std::pair<std::string, int64_t>, uint64_t>& got) {
  std::string out;
  for (const auto& [k, v] : expected) {
    auto g = got.find(k);
    if (g == got.end() || g->second != v)
      out += k.first + "," + std::to_string(k.second) + ": expected " + std::to_string(v) +
             ", got " + (g == got.end() ? std::string("nothing") : std::to_string(g->second)) +
             "\n";
  }
  for (const auto& [k, v] : got)
    if (!expected.count(k))
      out += k.first + "," + std::to_string(k.second) + ": unexpected " + std::to_string(v) + "\n";
  return out;
}

void load_ads(const redis_server& redis, const data_set& d) {
  std::string mset = "MSET";
  for (const auto& [ad, campaign] : d.campaign_of) mset += " " + ad + " " + campaign;
  redis.cli(mset);
}

std::vector<std::string> write_splits(const temp_dir& dir, const data_set& d) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < d.splits.size(); ++i) {
    std::string text;
    for (const auto& l : d.splits[i]) text += l + "\n";
    paths.push_back(dir / ("events-" + std::to_string(i) + ".json"));
    write_file(paths.back(), text);
  }
  return paths;
}

std::vector<std::string> job_args(const std::vector<std::string>& inputs, const std::string& ads,
                                  const std::string& output, const std::string& late) {
  std::vector<std::string> args{"--input"};
  args.insert(args.end(), inputs.begin(), inputs.end());
  args.insert(args.end(), {"--ads", ads, "--output", output, "--window-ms",
                           std::to_string(window_ms), "--out-of-orderness",
                           std::to_string(bound_ms), "--late", late});
  return args;
}

// Checks a directory output (counts, _unknown-ads, _dead-letter) and the
// late views against the data set.
void expect_exact(const data_set& d, const std::string& out, const std::vector<std::string>& late) {
  std::string error;
  auto got = written_views(read_result_lines(out), read_result_lines(out + "/_unknown-ads"), late,
                           &error);
  EXPECT_EQ(error, "");
  auto diff = difference(expected_views(d), got);
  EXPECT_TRUE(diff.empty()) << diff;
  EXPECT_LE(late.size(), d.planted_late);
  EXPECT_EQ(read_result_lines(out + "/_dead-letter").size(), d.malformed);
}

// From four files on two node processes into a directory.
TEST(ysb, counts_from_files_are_exact) {
  redis_server redis;
  auto d = generate(1, 4, 6000);
  load_ads(redis, d);
  test_cluster c(2, 2);
  auto out = c.dir() / "out";
  auto late = c.dir() / "late";
  auto id = c.submit(job_library("ysb"), {"--parallelism", "2"},
                     job_args(write_splits(c.dir(), d), "redis://" + redis.address(), out, late));
  expect_finished(c, id);
  expect_exact(d, out, read_result_lines(late));
}

// From a topic of four partitions (bounded at its end at the start).
TEST(ysb, counts_from_kafka_are_exact) {
  redis_server redis;
  kafka_broker k({"events:4"});
  auto d = generate(2, 4, 4000);
  load_ads(redis, d);
  for (int p = 0; p < 4; ++p) k.produce("events", d.splits[p], p);
  test_cluster c(2, 2);
  auto out = c.dir() / "out";
  auto late = c.dir() / "late";
  auto id = c.submit(job_library("ysb"), {"--parallelism", "2"},
                     job_args({k.uri("events", "stop=latest")}, "redis://" + redis.address(), out,
                              late));
  expect_finished(c, id);
  expect_exact(d, out, read_result_lines(late));
}

// YSB's layout in Redis: per campaign, its windows' list, and per window
// its key's seen_count (each window listed once).
std::vector<std::string> redis_layout(const redis_server& redis, const data_set& d,
                                      std::string* error) {
  std::vector<std::string> lines;
  for (const auto& campaign : d.campaign_ids) {
    auto list = trimmed(redis.cli("HGET " + campaign + " windows"));
    if (list.empty()) continue;
    auto starts = lines_of(redis.cli("LRANGE " + list + " 0 -1"));
    std::sort(starts.begin(), starts.end());
    if (std::adjacent_find(starts.begin(), starts.end()) != starts.end())
      *error += "campaign " + campaign + " lists a window twice\n";
    for (const auto& start : starts) {
      auto key = trimmed(redis.cli("HGET " + campaign + " " + start));
      auto seen = trimmed(redis.cli("HGET " + key + " seen_count"));
      auto updated = trimmed(redis.cli("HGET " + key + " time_updated"));
      if (updated.empty()) *error += "window " + key + " has no time_updated\n";
      lines.push_back(campaign + "," + start + "," + seen);
    }
  }
  return lines;
}

// Into Redis in YSB's layout, exactly once, with node 1 killed once two
// checkpoints completed: the layout holds exactly the failure-free counts.
TEST(ysb, redis_layout_survives_a_node_kill) {
  redis_server redis;
  auto d = generate(3, 4, 15000);
  load_ads(redis, d);
  test_cluster c(2, 2);
  auto out_dir = c.dir() / "side";  // late views; unknown ads go to stderr
  auto id = c.submit(job_library("ysb"), slow_job_options("fixed-delay:500:20"),
                     job_args(write_splits(c.dir(), d), "redis://" + redis.address(),
                              "redis://" + redis.address(), out_dir));
  ASSERT_TRUE(await_checkpoints(c, id, 2)) << c.coordinator_process().log();
  c.node(1).kill9();
  expect_finished(c, id);
  EXPECT_NE(c.coordinator_process().log().find("restarting (attempt 1)"), std::string::npos)
      << "the job ended before the kill";
  std::string error;
  auto layout = redis_layout(redis, d, &error);
  EXPECT_EQ(error, "");
  auto got = written_views(layout, {}, read_result_lines(out_dir), &error);
  EXPECT_EQ(error, "");
  auto expected = expected_views(d);
  for (auto it = expected.begin(); it != expected.end();)
    it = it->first.first == "unknown" ? expected.erase(it) : std::next(it);
  for (auto it = got.begin(); it != got.end();)
    it = it->first.first == "unknown" ? got.erase(it) : std::next(it);
  auto diff = difference(expected, got);
  EXPECT_TRUE(diff.empty()) << diff;
}

}  // namespace
}  // namespace nagare::testing
