// Credit-based flow control: a slow sink must stop the source instead of
// letting records pile up in queues. Counted, not timed: the number of
// records produced but not yet consumed never exceeds what the credits allow.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "embedded.hpp"
#include "nagare/nagare.hpp"

namespace nagare {
namespace {

constexpr uint64_t total_records = 120'000;
constexpr uint32_t batch = 256;
constexpr uint32_t credit = 4;
constexpr uint32_t sink_parallelism = 2;

std::atomic<uint64_t> produced{0};
std::atomic<uint64_t> consumed{0};
std::atomic<uint64_t> max_in_flight{0};
std::atomic<uint64_t> checksum{0};

// Sleeps 1 ms every 64 records: far slower than the generator.
class slow_sink final : public sink<uint64_t> {
 public:
  status open(const subtask_info&) override { return {}; }
  status write(const uint64_t& r) override {
    auto done = consumed.fetch_add(1) + 1;
    auto in_flight = produced.load() - done;
    for (auto m = max_in_flight.load();
         in_flight > m && !max_in_flight.compare_exchange_weak(m, in_flight);) {
    }
    checksum.fetch_add(r);
    if (done % 64 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return {};
  }
  status close() override { return {}; }
};

struct slow_sink_spec {
  using record_type = uint64_t;
  std::string name() const { return "slow sink"; }
  status validate() const { return {}; }
  std::unique_ptr<sink<uint64_t>> create() const { return std::make_unique<slow_sink>(); }
};

status slow_sink_job(job& j, const job_args&) {
  j.source(generator_source<uint64_t>(total_records, [](uint64_t i) { return i; }))
      .parallelism(1)
      .map([](uint64_t i) {
        produced.fetch_add(1);
        return i;
      })
      .parallelism(1)
      .sink(slow_sink_spec{})
      .parallelism(sink_parallelism);
  return {};
}

// Per channel: `credit` batches unprocessed at the receiver, at most two
// waiting at the sender (one poll step) and one being filled.
TEST(flow_control, slow_sink_bounds_records_in_flight) {
  auto job = register_linked_job("slow_sink", slow_sink_job);
  run_options opts;
  opts.threads = 2;
  opts.job.batch_records = batch;
  opts.job.channel_credit = credit;
  auto out = run_embedded(job, {}, opts);
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_EQ(out->state, job_state::finished) << to_string(out->state) << ": " << out->reason;

  EXPECT_EQ(produced.load(), total_records);
  EXPECT_EQ(consumed.load(), total_records) << "records lost or duplicated";
  EXPECT_EQ(checksum.load(), total_records * (total_records - 1) / 2);
  const uint64_t bound = sink_parallelism * (credit + 3) * batch;
  EXPECT_LE(max_in_flight.load(), bound) << "the source ran ahead of the slow sink";
  EXPECT_GT(max_in_flight.load(), 0u);
  std::printf("max records in flight: %llu (bound %llu)\n",
              (unsigned long long)max_in_flight.load(), (unsigned long long)bound);
}

// One day-long window per key, all due at the end of input: the window task
// fires them as its output has credit, so its results wait in the channels
// no more than a source's records do (it used to fire all 40,000 at once and
// queue every result).
constexpr uint64_t window_keys = 40'000;

status day_windows_job(job& j, const job_args&) {
  j.source(generator_source<uint64_t>(window_keys, [](uint64_t i) { return i; }),
           watermark_strategy<uint64_t>::for_monotonous_timestamps(
               [](const uint64_t& i) { return static_cast<int64_t>(i); }))
      .parallelism(1)
      .key_by([](const uint64_t& i) { return i; })
      .window(tumbling_event_time_windows(86'400'000))
      .aggregate(nagare::count())
      .parallelism(1)
      .results()
      .map([](const window_result<uint64_t, uint64_t>& w) {
        produced.fetch_add(1);
        return w.value;
      })
      .parallelism(1)
      .sink(slow_sink_spec{})
      .parallelism(sink_parallelism);
  return {};
}

TEST(flow_control, windows_fired_at_once_wait_for_credit) {
  produced = consumed = max_in_flight = checksum = 0;
  auto job = register_linked_job("day_windows", day_windows_job);
  run_options opts;
  opts.threads = 2;
  opts.job.batch_records = batch;
  opts.job.channel_credit = credit;
  auto out = run_embedded(job, {}, opts);
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_EQ(out->state, job_state::finished) << to_string(out->state) << ": " << out->reason;

  EXPECT_EQ(consumed.load(), window_keys) << "one window per key";
  EXPECT_EQ(checksum.load(), window_keys) << "each window counts its one record";
  // As above, plus one slice of timers (`batch` of them) fired before the
  // task sees that its outputs are full.
  const uint64_t bound = sink_parallelism * (credit + 3) * batch + batch;
  EXPECT_LE(max_in_flight.load(), bound) << "the window results ran ahead of the slow sink";
  std::printf("max window results in flight: %llu (bound %llu)\n",
              (unsigned long long)max_in_flight.load(), (unsigned long long)bound);
}

}  // namespace
}  // namespace nagare
