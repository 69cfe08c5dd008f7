// JsonCount: counts JSON events per key, the Kafka + JSON benchmark job.
//
//   nagare run build/jobs/libjson_count.so -- --input URI [URI...] --output URI [--key FIELD]
//
// URIs name text files or a Kafka topic (nagare/connector_uri.hpp), e.g.
// kafka://HOST:PORT/TOPIC?stop=latest for the messages present at the start.
// Each line (message value) must be a JSON object with a string field FIELD
// (default "key") at the top level; the job counts the events per value of
// it and, when the input ends, writes "value<TAB>count" lines to the output.
// A line that is not a JSON object, or lacks FIELD as a string, is a dead
// letter written to the output's side output "_dead-letter"
// (nagare::side_output_uri), never a failed job.
#include <nagare/connector.hpp>
#include <nagare/json.hpp>
#include <nagare/nagare.hpp>
#include <nagare/parsed_source.hpp>

namespace {

using key_count = std::pair<std::string, uint64_t>;

nagare::status build(nagare::job& job, const nagare::job_args& args) {
  if (auto st = args.only({"--input", "--output", "--key"}); !st.ok()) return st;
  auto input = nagare::line_source::from_option(args, "--input");
  if (!input.ok()) return input.error();
  auto output = args.required("--output");
  if (!output.ok()) return output.error();
  std::string field = "key";
  if (args.has("--key")) {
    auto k = args.required("--key");
    if (!k.ok()) return k.error();
    field = *k;
  }
  auto counts = nagare::uri_sink<key_count>::from_uri(
      *output, nagare::default_formatter<key_count>(),
      [](const key_count& c, std::string& key) { key += c.first; });
  if (!counts.ok()) return counts.error();
  auto dead_letters = nagare::uri_sink<nagare::dead_letter>::from_uri(
      nagare::side_output_uri(*output, "_dead-letter"),
      nagare::default_formatter<nagare::dead_letter>());
  if (!dead_letters.ok()) return dead_letters.error();

  // The event's key; an event without it as a string is a dead letter.
  auto key_of = [field](const nagare::json_reader& j) -> nagare::result<std::string> {
    auto key = j.string(field);
    if (!key.ok()) return key.error();
    return std::string(*key);
  };
  auto events =
      nagare::parse(input.value(), nagare::json(key_of)).dead_letters(dead_letters.value());
  job.source(events)
      .name("events")
      .uid("events")
      .key_by([](const std::string& key) -> const std::string& { return key; })
      .aggregate(nagare::count())
      .name("count")
      .uid("count")
      .sink(counts.value())
      .name("write");
  return {};
}

}  // namespace

NAGARE_JOB("json_count", build)
