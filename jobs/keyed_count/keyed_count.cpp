// Keyed count over the deterministic generator: the benchmark job.
//
//   nagare run build/jobs/libkeyed_count.so -- --records N --keys K --seed S --output DIR
//
// Record i has the key nagare::bench_key(seed, i, keys); the job counts the
// records per key and writes "key<TAB>count" lines into DIR.
#include <nagare/nagare.hpp>

#include "bench_key.hpp"

namespace {

using key_count = std::pair<uint64_t, uint64_t>;

nagare::status build(nagare::job& job, const nagare::job_args& args) {
  if (auto st = args.only({"--records", "--keys", "--seed", "--output"}); !st.ok()) return st;
  auto records = args.integer("--records", 10'000'000);
  auto keys = args.integer("--keys", 100'000);
  auto seed = args.integer("--seed", 1);
  auto output = args.required("--output");
  for (auto* r : {&records, &keys, &seed})
    if (!r->ok()) return r->error();
  if (!output.ok()) return output.error();
  if (*records < 0 || *keys <= 0)
    return nagare::status::invalid_argument("--records must be >= 0 and --keys > 0");

  auto s = static_cast<uint64_t>(*seed);
  auto k = static_cast<uint64_t>(*keys);
  job.source(nagare::generator_source<uint64_t>(
                 static_cast<uint64_t>(*records),
                 [s, k](uint64_t i) { return nagare::bench::key(s, i, k); }))
      .name("generate")
      .uid("generate")
      .key_by([](uint64_t key) { return key; })
      .aggregate(nagare::count())
      .name("count")
      .uid("count")
      .sink(nagare::file_sink<key_count>(*output))
      .name("write");
  return {};
}

}  // namespace

NAGARE_JOB("keyed_count", build)
