// A sink's transactions as metrics (detail/sink_metrics.hpp): the runtime's
// sink operator driven by hand over a sink that keeps one pending entry per
// checkpoint with writes, as the transactional sinks do.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metrics/prometheus_text.hpp"
#include "nagare/detail/operators.hpp"
#include "nagare/metrics.hpp"

namespace nagare {
namespace {

// Seals the records written since the last barrier as transaction "t<id>";
// commit(id) makes every transaction up to id visible.
class ledger_sink final : public sink<int> {
 public:
  status open(const subtask_info&) override { return {}; }
  status write(const int&) override {
    ++open_records_;
    return {};
  }
  status close() override { return {}; }
  status pre_commit(uint64_t checkpoint) override {
    if (open_records_ > 0) pending_[checkpoint] = "t" + std::to_string(checkpoint);
    open_records_ = 0;
    return {};
  }
  void pending(std::vector<std::string>& out) const override {
    for (const auto& [id, name] : pending_) out.push_back(name);
  }
  status commit(uint64_t checkpoint) override {
    pending_.erase(pending_.begin(), pending_.upper_bound(checkpoint));
    return {};
  }
  status recover(const std::vector<std::string>&, uint32_t, const subtask_info&) override {
    return {};
  }

 private:
  int open_records_ = 0;
  std::map<uint64_t, std::string> pending_;
};

// The value of `sample` ("name{labels}") in `text`, or -1.
double sample_value(const std::string& text, const std::string& sample) {
  auto at = text.find(sample + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + sample.size() + 1));
}

TEST(sink_metrics, count_sealed_committed_and_pending_transactions) {
  detail::sink_operator<int> op(make_owned<ledger_sink>());
  subtask_info info;
  info.metrics = std::make_shared<metric_group>(metric_group::labels{{"operator", "write"}});
  ASSERT_TRUE(op.open(info).ok());
  auto push = [&](int n) {
    for (int i = 0; i < n; ++i) op.push(i);
  };
  push(3);
  ASSERT_TRUE(op.prepare_checkpoint(1).ok());  // t1
  ASSERT_TRUE(op.prepare_checkpoint(2).ok());  // nothing written: no transaction
  push(1);
  ASSERT_TRUE(op.prepare_checkpoint(3).ok());  // t3
  push(2);
  ASSERT_TRUE(op.prepare_checkpoint(4).ok());   // t4
  ASSERT_TRUE(op.checkpoint_complete(3).ok());  // t1 and t3 visible, t4 pending

  auto text = prometheus_text(info.metrics->scopes());
  const std::string l = "{operator=\"write\"}";
  EXPECT_EQ(sample_value(text, "nagare_sink_transactions_sealed_total" + l), 3) << text;
  EXPECT_EQ(sample_value(text, "nagare_sink_transactions_committed_total" + l), 2) << text;
  EXPECT_EQ(sample_value(text, "nagare_sink_transactions_pending" + l), 1) << text;
  EXPECT_EQ(sample_value(text, "nagare_sink_transaction_failures_total" + l), 0) << text;
  EXPECT_EQ(sample_value(text, "nagare_sink_commit_seconds_count" + l), 1) << text;
  EXPECT_EQ(sample_value(text, "nagare_sink_transactions_recovered_total" + l), 0) << text;
}

}  // namespace
}  // namespace nagare
