// The window API (nagare/window.hpp): the nodes a windowed stream adds, their
// validation, the split of a window node's output into results and late
// records, the tagged output's codec through a real task chain, and the text
// of a window result in sinks. Expected values are worked out by hand from
// the window semantics in the comments.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nagare/job.hpp"
#include "plan.hpp"
#include "task_chain.hpp"
#include "window_support.hpp"

namespace nagare {
namespace {

using window_testing::rec;
using counted = window_result<std::string, uint64_t>;
using output = detail::window_output<std::string, uint64_t, rec>;

auto key_fn = [](const rec& r) { return r.key; };
auto ts_fn = [](const rec& r) { return r.ts; };

// source (with timestamps) -> key_by(key).window(w).allowed_lateness(l).aggregate(count)
// ["window"] -> results ["results" sink] and late records ["late" sink]
template <class Assigner>
detail::graph window_graph(Assigner w, int64_t lateness = 0, bool timestamps = true) {
  detail::graph g;
  job j(g);
  auto src = j.source(generator_source<rec>(0, [](uint64_t) { return rec{}; })).parallelism(1);
  if (timestamps) src.with_timestamps(ts_fn);
  auto windows = src.key_by(key_fn).window(w).allowed_lateness(lateness).aggregate(count());
  windows.name("window").uid("window");
  windows.results().sink(stdout_sink<counted>()).name("results");
  windows.late_records()
      .sink(stdout_sink<rec>([](const rec& r, std::string& out) { out += r.key; }))
      .name("late");
  return g;
}

const detail::node_spec* node_of(const detail::graph& g, const std::string& kind) {
  for (const auto& n : g.nodes)
    if (n.kind == kind) return &n;
  return nullptr;
}

status validate(const detail::graph& g) {
  for (const auto& n : g.nodes)
    if (n.validate) {
      auto st = n.validate();
      if (!st.ok()) return st;
    }
  return {};
}

// A windowed stream adds the window node, fed by key, and one node per part of its output, fed
// one-to-one; the late records keep the stream's timestamps.
TEST(window_api, adds_a_window_node_and_one_node_per_output) {
  auto g = window_graph(tumbling_event_time_windows(10), 5);
  auto* w = node_of(g, "window");
  auto* results = node_of(g, "window_results");
  auto* late = node_of(g, "late_records");
  ASSERT_TRUE(w && results && late);
  ASSERT_EQ(w->inputs.size(), 1u);
  EXPECT_EQ(w->inputs[0].kind, detail::partition::keyed);
  EXPECT_EQ(results->inputs[0].from, w->id);
  EXPECT_EQ(results->inputs[0].kind, detail::partition::forward);
  EXPECT_EQ(late->inputs[0].from, w->id);
  EXPECT_EQ(results->name, "window results");
  EXPECT_TRUE(validate(g).ok());
  auto p = make_plan(g, "test", {2, 128});
  ASSERT_TRUE(p.ok()) << p.error().message();

  detail::graph g2;
  job j(g2);
  auto src = j.source(generator_source<rec>(0, [](uint64_t) { return rec{}; }));
  src.with_timestamps(ts_fn);
  auto late_stream =
      src.key_by(key_fn).window(count_windows(3)).reduce([](const rec& a, const rec& b) {
        return rec{a.key, a.ts, a.v + b.v};
      });
  late_stream.parallelism(4);
  auto parts = late_stream.late_records();
  ASSERT_TRUE(parts.timestamps());
  EXPECT_EQ(parts.timestamps()(rec{"k", 42, 0}), 42);
  EXPECT_EQ(g2.nodes[parts.forward_edge().from].parallelism, 4u)
      << "the part runs with the window's parallelism";
}

// Windows that cannot work are refused when the job is validated, with a message that says why.
TEST(window_api, validation_refuses_windows_that_cannot_work) {
  auto refused = [](const detail::graph& g, const std::string& words) {
    auto st = validate(g);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find(words), std::string::npos) << st.message();
  };
  refused(window_graph(tumbling_event_time_windows(10), 0, false), "timestamps");
  refused(window_graph(event_time_session_windows(10), 0, false), "timestamps");
  refused(window_graph(tumbling_event_time_windows(0)), "positive size");
  refused(window_graph(sliding_event_time_windows(10, -1)), "positive size");
  refused(window_graph(event_time_session_windows(0)), "positive gap");
  refused(window_graph(count_windows(0)), "positive size");
  refused(window_graph(tumbling_event_time_windows(10), -1), "lateness");
  EXPECT_TRUE(validate(window_graph(tumbling_processing_time_windows(10), 0, false)).ok());
  EXPECT_TRUE(validate(window_graph(processing_time_session_windows(10), 0, false)).ok());
  EXPECT_TRUE(validate(window_graph(count_windows(2), 0, false)).ok());
}

// Every record emitted by one chain, per output channel.
class recording_emitter final : public detail::batch_emitter {
 public:
  void emit(uint32_t channel, owned<detail::record_batch> batch) override {
    // Through bytes, as between processes.
    std::string bytes;
    batch->encode(bytes);
    auto decoded = detail::typed_batch<output>::decode(bytes.data(), bytes.size(),
                                                       static_cast<uint32_t>(batch->size()));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message();
    const auto& rs = static_cast<const detail::typed_batch<output>&>(*decoded.value()).records;
    auto& into = channels[channel];
    into.insert(into.end(), rs.begin(), rs.end());
  }
  std::map<uint32_t, std::vector<output>> channels;
};

detail::typed_batch<rec> batch_of(std::vector<rec> rs) {
  detail::typed_batch<rec> b;
  b.records = std::move(rs);
  return b;
}

// Runs the part node of `kind` (made from the graph) over `got`.
template <class P>
std::vector<P> part(const detail::graph& g, const std::string& kind,
                    const std::vector<output>& got) {
  auto op = node_of(g, kind)->make_operator();
  window_testing::capture<P> out;
  op->connect(static_cast<detail::input_port<P>*>(&out));
  auto* in = static_cast<detail::input_port<output>*>(op->input());
  for (auto r : got) in->push(r);
  return out.got;
}

// A tumbling 10 ms window task with 5 ms allowed lateness, fed through its chain: the task sends
// its results (through bytes) to the results node and its late records to the late records node,
// which pass them on.
TEST(window_api, a_window_task_sends_results_and_late_records) {
  auto g = window_graph(tumbling_event_time_windows(10), 5);
  auto p = make_plan(g, "test", {1, 128});
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p.value().vertices.size(), 4u) << "source, window, each part chained with its sink";
  uint32_t window_vertex = 1;
  ASSERT_EQ(p.value().vertices[window_vertex].name, "window");
  recording_emitter em;
  auto c = task_chain::build(g, p.value(), window_vertex, 0, &em, chain_options{1024});
  ASSERT_TRUE(c.ok()) << c.error().message();
  auto& chain = *c.value();
  ASSERT_TRUE(chain.open().ok());
  ASSERT_TRUE(chain.restore({{}}).ok());

  auto in = batch_of({{"a", 1, 1}, {"a", 5, 2}, {"b", 12, 3}});
  chain.process(0, in);
  chain.advance_watermark(9);  // fires a [0, 10): 2 records
  in = batch_of({{"a", 7, 4}});
  chain.process(0, in);  // fired already, max 9 <= 9 < 9 + 5: fires again at once with 3
  chain.flush();
  chain.advance_watermark(14);  // a [0, 10) is dropped (9 + 5 <= 14)
  in = batch_of({{"a", 3, 5}, {"b", 15, 6}});
  chain.process(0, in);  // a@3: its only window is gone: late. b@15 joins b [10, 20)
  chain.flush();
  chain.advance_watermark(max_timestamp);  // fires b [10, 20): 2 records
  chain.finish();

  ASSERT_EQ(em.channels.size(), 2u) << "one channel per part node";
  // The channel of the part added first (results) comes first; each carries its part only.
  const auto& to_results = em.channels.begin()->second;
  const auto& to_late = em.channels.rbegin()->second;
  ASSERT_EQ(to_results.size(), 3u);
  ASSERT_EQ(to_late.size(), 1u);
  EXPECT_EQ((part<counted>(g, "window_results", to_results)),
            (std::vector<counted>{{"a", 0, 10, 2}, {"a", 0, 10, 3}, {"b", 10, 20, 2}}));
  EXPECT_EQ((part<rec>(g, "late_records", to_late)), (std::vector<rec>{{"a", 3, 5}}));
  EXPECT_TRUE((part<rec>(g, "late_records", to_results)).empty());
}

// The tagged output's codec refuses bytes that end early or name no part.
TEST(window_api, the_tagged_output_codec_refuses_malformed_bytes) {
  output result = output::of_result(counted{"key", -5, 5, 7});
  output late = output::of_late(rec{"k", 3, -4});
  for (const auto& o : {result, late}) {
    auto bytes = encode(o);
    output back;
    byte_reader in(bytes.data(), bytes.size());
    ASSERT_TRUE(codec<output>::decode(in, back));
    EXPECT_TRUE(back == o);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      byte_reader short_in(bytes.data(), cut);
      EXPECT_FALSE(codec<output>::decode(short_in, back)) << "cut at " << cut;
    }
  }
  std::string bad(1, '\x02');
  output back;
  byte_reader in(bad.data(), bad.size());
  EXPECT_FALSE(codec<output>::decode(in, back));
}

// In text sinks a window result is key, start, end and value, tab-separated.
TEST(window_api, a_window_result_as_text) {
  std::string out;
  format_record(window_result<std::string, std::pair<uint64_t, int64_t>>{"k", -10, 20, {3, -7}},
                out);
  EXPECT_EQ(out, "k\t-10\t20\t3\t-7");
}

}  // namespace
}  // namespace nagare
