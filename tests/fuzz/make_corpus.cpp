// Writes the seed corpus of every fuzz target from real encoded values:
//   build/tests/fuzz/fuzz_corpus tests/fuzz/corpus
// makes tests/fuzz/corpus/<target>/seed-N. The seeds are kept in the tree;
// run this again when an encoding changes.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint_record.hpp"
#include "fuzz_targets.hpp"
#include "job_record.hpp"
#include "messages.hpp"
#include "metadata_store.hpp"
#include "nagare/dead_letter.hpp"
#include "nagare/detail/batch.hpp"
#include "nagare/flat.hpp"
#include "nagare/job.hpp"
#include "nagare/tuple.hpp"
#include "plan.hpp"
#include "plan_generated.h"
#include "source/static_enumerator.hpp"
#include "task_chain.hpp"

namespace nagare {
namespace {

namespace fs = std::filesystem;
using kv = std::pair<std::string, uint64_t>;

void write(const fs::path& dir, const std::string& target, const std::vector<std::string>& seeds) {
  fs::create_directories(dir / target);
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream out(dir / target / ("seed-" + std::to_string(i)), std::ios::binary);
    out << seeds[i];
  }
}

std::string batch_of(std::vector<kv> records) {
  detail::typed_batch<kv> b;
  b.records = std::move(records);
  return encode_batch(b);
}

template <class T>
std::string tagged(char kind, const std::vector<T>& values) {
  std::string out(1, kind);
  for (const auto& v : values) codec<T>::encode(v, out);
  return out;
}

physical_plan plan_of(uint32_t parallelism, bool splits) {
  detail::graph g;
  job j(g);
  auto words = splits ? j.source(text_file_source({"/tmp/a.txt", "/tmp/b.txt"}))
                      : j.source(generator_source<std::string>(
                            10, [](uint64_t i) { return std::to_string(i); }));
  words.uid("words")
      .key_by([](const std::string& w) { return w; })
      .aggregate(count())
      .parallelism(parallelism + 1)
      .sink(stdout_sink<std::pair<std::string, uint64_t>>());
  return make_plan(g, "seed", {parallelism, 128}).value();
}

std::vector<detail::operator_snapshot> snapshots_of(size_t operators, uint64_t checkpoint,
                                                    uint64_t extends) {
  std::vector<detail::operator_snapshot> out(operators);
  for (size_t i = 0; i < operators; ++i) {
    out[i].checkpoint = checkpoint;
    out[i].extends = i == 1 ? extends : 0;
    for (uint32_t kg = 0; kg < 6; kg += 2) out[i].key_groups[kg] = "state-" + std::to_string(kg);
    out[i].entries = {"entry-" + std::to_string(i)};
  }
  return out;
}

std::string framed(const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) codec<std::string>::encode(p, out);
  return out;
}

stored_checkpoint record() {
  stored_checkpoint r;
  r.job_id = 1;
  r.id = 7;
  r.completed_ms = 1700000000000;
  r.bytes = 4096;
  r.tasks = {{0, {"words", "#2"}, false, {}}, {1, {"#2"}, true, {3, 5}}};
  r.sources = {{"words", static_enumerator_config(
                             {{"0 /tmp/a.txt", encode(kv{"/tmp/a.txt", 0}), std::nullopt}})}};
  return r;
}

}  // namespace
}  // namespace nagare

int main(int argc, char** argv) {
  using namespace nagare;
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_corpus DIR (tests/fuzz/corpus)\n");
    return 2;
  }
  const fs::path dir = argv[1];
  write(dir, "batch",
        {batch_of({}), batch_of({{"alpha", 1}}),
         batch_of({{"alpha", 1}, {"", 0}, {std::string(200, 'w'), ~uint64_t{0}}})});
  write(dir, "record_codec",
        {tagged<std::string>(0, {"", "a", std::string(130, 'x')}),
         tagged<uint64_t>(1, {0, 1, ~uint64_t{0}}), tagged<bool>(2, {true, false}),
         tagged<std::optional<std::string>>(3, {std::nullopt, std::string("yes")}),
         tagged<std::vector<std::string>>(4, {{}, {"a", "bc"}}),
         tagged<std::pair<std::string, int64_t>>(5, {{"k", -3}}),
         tagged<std::vector<std::optional<std::pair<uint32_t, bool>>>>(
             6, {{std::nullopt, std::make_pair(7u, true)}}),
         tagged<std::tuple<int32_t, std::string, double>>(7, {{-1, "t", 2.5}}),
         tagged<dead_letter>(8, {{"0 /tmp/a.txt", 12, "not a number", "x1"}, {"s", {}, "", ""}}),
         tagged<flat<fb::JobPlan>>(9, {flat<fb::JobPlan>(encode_plan(plan_of(2, false)))}),
         tagged<std::vector<std::vector<uint64_t>>>(10, {{{1, 2}, {}}}),
         tagged<std::pair<std::optional<uint64_t>, std::vector<int16_t>>>(11, {{5, {1, -2}}})});
  write(dir, "plan",
        {encode_plan(plan_of(1, false)), encode_plan(plan_of(3, false)),
         encode_plan(plan_of(2, true))});
  std::string framed_stream;
  {
    snapshot_encoder e(
        2,
        [&](std::string&& frame) {
          framed_stream += frame;
          return status{};
        },
        16);
    auto s = snapshots_of(2, 7, 5);
    for (uint32_t kg = 10; kg < 14; ++kg) e.writer(0)->write(kg, "streamed");
    e.finish(s);
  }
  write(dir, "snapshot_stream",
        {encode_snapshots(snapshots_of(1, 3, 0)), encode_snapshots(snapshots_of(3, 7, 5)),
         encode_snapshots(std::vector<detail::operator_snapshot>{}), framed_stream});
  write(dir, "operator_snapshot", fuzz::operator_snapshot_seeds());
  // Task 0 ran ("a", "b"), task 1 ("b", "c"); task 1's "c" extends checkpoint 5.
  auto task1 = snapshots_of(2, 7, 5);
  write(dir, "restore_assembly",
        {framed({encode_snapshots(snapshots_of(2, 7, 0)), encode_snapshots(snapshots_of(2, 7, 0))}),
         framed({encode_snapshots(snapshots_of(2, 7, 0)), encode_snapshots(task1),
                 encode_snapshots(snapshots_of(2, 5, 0))})});
  write(dir, "checkpoint_record",
        {encode_checkpoint_record(record()), encode_snapshot_index({1, true, {}}),
         encode_snapshot_index({3, false, {2, 5}})});
  job_submission sub;
  sub.name = "wordcount";
  sub.library_hash = library_hash("library");
  sub.args = {"--input", "/tmp/a.txt", "--output", "/tmp/out"};
  sub.plan = encode_plan(plan_of(2, true));
  sub.parallelism = 2;
  sub.checkpoint_interval_ms = 200;
  sub.restart_strategy = "exponential:10:1000:5";
  sub.from_savepoint = "3-17";
  auto rec = make_job_record(42, sub);
  rec.state = job_state::failed;
  rec.reason = "task 1 failed";
  write(dir, "job_record",
        {encode_job_record(rec), encode_job_record(make_job_record(1, {})), job_record_key(42)});
  write(dir, "job_args",
        {"--input\na.txt\nb.txt\n--output\nout", "--n\n-12\n--flag", "stray\n--input",
         "--n\n+7\n--unknown\nx"});
  write(dir, "lines",
        {std::string("\x02") + "1\n22\nabc\r\n\n333", std::string("\x00", 1) + "x",
         std::string("\x07") + "12\r\n\r\n4,5\n6"});
  // json: the length of a key, the key, the document.
  write(
      dir, "json",
      {std::string("\x05") + "ad_id" +
           R"({"user_id":"3f1c2a9e-5b7d-4e21-9a6c-0d8e7f6b5a43",)"
           R"("page_id":"8a2b4c6d-1e3f-4a5b-8c7d-9e0f1a2b3c4d",)"
           R"("ad_id":"c0ffee00-1234-4abc-8def-0123456789ab","ad_type":"banner","event_type":"view",)"
           R"("event_time":"1700000000000","ip_address":"10.0.0.1"})",
       std::string("\x01") + "a" +
           R"({"a":"x\u00e9\n\"","b":[1,2.5,-3,true,null],"c":{"a":{"":false}},"a~b":1})",
       std::string("\x00", 1) +
           R"({"":18446744073709551615,"n":-9223372036854775808,"e":1e-300,"f":-0.0})",
       std::string("\x01") + "a" + "{\"a\":\"\xff\"}",
       std::string("\x03") + "a~1" + R"({"a/":[{"a":1}], "x" : "\ud83d\ude00"})",
       std::string("\x01") + "a" + R"([{"a":1}])"});
  return 0;
}
