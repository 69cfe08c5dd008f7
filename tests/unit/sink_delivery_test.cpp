// Delivery guarantees: what sink descriptors declare reaches the graph, the
// checkpoint mode caps it, and --require-exactly-once refuses a job whose
// sinks cannot all be exactly-once, naming the sink.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "nagare/job.hpp"
#include "process.hpp"
#include "sink_delivery.hpp"

namespace nagare {
namespace {

// A sink descriptor that declares nothing.
struct plain_sink {
  using record_type = std::string;
  std::string name() const { return "plain sink"; }
  status validate() const { return {}; }
  std::unique_ptr<sink<std::string>> create() const { return nullptr; }
};

std::string line(uint64_t i) { return std::to_string(i); }

// A job writing one stream to a file sink and, when asked, a stdout and a plain sink.
detail::graph graph_with(const std::string& dir, bool others) {
  detail::graph g;
  job j(g);
  auto lines = j.source(generator_source<std::string>(10, line));
  lines.sink(file_sink<std::string>(dir));
  if (others) {
    lines.sink(stdout_sink<std::string>());
    lines.sink(plain_sink{});
  }
  return g;
}

TEST(sink_delivery, declared_guarantees_capped_by_the_checkpoint_mode) {
  testing::temp_dir tmp;
  auto g = graph_with(tmp / "out", true);
  auto aligned = sink_deliveries(g, false);
  ASSERT_EQ(aligned.size(), 3u);
  EXPECT_EQ(aligned[0].sink, "file sink");
  EXPECT_EQ(aligned[0].effective, delivery_guarantee::exactly_once);
  EXPECT_EQ(aligned[1].sink, "stdout sink");
  EXPECT_EQ(aligned[1].effective, delivery_guarantee::at_least_once);
  EXPECT_EQ(aligned[2].declared, delivery_guarantee::at_least_once);  // declares nothing
  auto loose = sink_deliveries(g, true);
  EXPECT_EQ(loose[0].declared, delivery_guarantee::exactly_once);
  EXPECT_EQ(loose[0].effective, delivery_guarantee::at_least_once);
}

TEST(sink_delivery, require_exactly_once_names_what_prevents_it) {
  testing::temp_dir tmp;
  auto only_file = sink_deliveries(graph_with(tmp / "a", false), false);
  EXPECT_TRUE(check_delivery(only_file, true, false).ok());
  auto mixed = sink_deliveries(graph_with(tmp / "b", true), false);
  EXPECT_TRUE(check_delivery(mixed, false, false).ok());  // not required: any sink runs
  auto refused = check_delivery(mixed, true, false);
  EXPECT_EQ(refused.code(), errc::invalid_argument);
  EXPECT_EQ(refused.message(),
            "--require-exactly-once cannot be honoured: sink 'stdout sink' is at-least-once");
  auto loose = check_delivery(sink_deliveries(graph_with(tmp / "c", false), true), true, true);
  EXPECT_EQ(loose.message(),
            "--require-exactly-once cannot be honoured with --at-least-once checkpoints");
}

}  // namespace
}  // namespace nagare
