// Sliding-window count over the deterministic generator: the window benchmark job.
//
//   nagare run build/jobs/libwindow_bench.so -- --records N --keys K --seed S
//       --rate R --size MS --slide MS --output DIR
//
// Record i has the key nagare::bench::key(seed, i, keys) and the event time
// nagare::bench::event_time(i, rate). Each generator subtask emits its
// records in increasing order of i, so their timestamps never decrease: the
// watermark strategy has no out-of-orderness and no record is late. The job
// counts the records per key in sliding event-time windows of --size every
// --slide milliseconds and writes "key<TAB>start<TAB>end<TAB>count" per
// window into DIR.
#include <nagare/nagare.hpp>
#include <nagare/window.hpp>

#include "bench_event.hpp"
#include "bench_key.hpp"

namespace {

using keyed_event = std::pair<uint64_t, int64_t>;  // (key, event time)
using window_count = nagare::window_result<uint64_t, uint64_t>;

nagare::status build(nagare::job& job, const nagare::job_args& args) {
  if (auto st =
          args.only({"--records", "--keys", "--seed", "--rate", "--size", "--slide", "--output"});
      !st.ok())
    return st;
  auto records = args.integer("--records", 10'000'000);
  auto keys = args.integer("--keys", 10'000);
  auto seed = args.integer("--seed", 1);
  auto rate = args.integer("--rate", 100'000);
  auto size = args.integer("--size", 10'000);
  auto slide = args.integer("--slide", 2'000);
  auto output = args.required("--output");
  for (auto* r : {&records, &keys, &seed, &rate, &size, &slide})
    if (!r->ok()) return r->error();
  if (!output.ok()) return output.error();
  if (*records < 0 || *keys <= 0 || *rate <= 0 || *size <= 0 || *slide <= 0)
    return nagare::status::invalid_argument(
        "--records must be >= 0 and --keys, --rate, --size and --slide > 0");

  auto s = static_cast<uint64_t>(*seed);
  auto k = static_cast<uint64_t>(*keys);
  auto r = static_cast<uint64_t>(*rate);
  auto events = job.source(
      nagare::generator_source<keyed_event>(
          static_cast<uint64_t>(*records),
          [s, k, r](uint64_t i) {
            return keyed_event{nagare::bench::key(s, i, k), nagare::bench::event_time(i, r)};
          }),
      nagare::watermark_strategy<keyed_event>::for_monotonous_timestamps(
          [](const keyed_event& e) { return e.second; }));
  events.name("generate").uid("generate");
  auto windows = events.key_by([](const keyed_event& e) { return e.first; })
                     .window(nagare::sliding_event_time_windows(*size, *slide))
                     .aggregate(nagare::count());
  windows.name("window").uid("window");
  windows.results()
      .sink(nagare::file_sink<window_count>(*output,
                                            [](const window_count& w, std::string& out) {
                                              out += std::to_string(w.key);
                                              out += '\t';
                                              out += std::to_string(w.start);
                                              out += '\t';
                                              out += std::to_string(w.end);
                                              out += '\t';
                                              out += std::to_string(w.value);
                                            }))
      .name("write");
  return {};
}

}  // namespace

NAGARE_JOB("window_bench", build)
