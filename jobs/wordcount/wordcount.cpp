// WordCount: counts the words of text files.
//
//   nagare run build/jobs/libwordcount.so -- --input URI [URI...] --output URI
//
// URIs name text files, a monitored directory or Kafka topics, and the
// output directory, Kafka topic or stdout: (nagare/connector_uri.hpp).
// A word is a maximal run of ASCII letters and digits, lower-cased. When the
// input ends, every word is written once as "word<TAB>count" to the output.
#include <nagare/connector.hpp>
#include <nagare/nagare.hpp>

namespace {

using word_count = std::pair<std::string, uint64_t>;

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void split_words(const std::string& line, nagare::collector<std::string>& out) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && !is_word_char(line[i])) ++i;
    size_t begin = i;
    while (i < line.size() && is_word_char(line[i])) ++i;
    if (i == begin) continue;
    std::string word(line, begin, i - begin);
    for (auto& c : word)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.emit(std::move(word));
  }
}

nagare::status build(nagare::job& job, const nagare::job_args& args) {
  if (auto st = args.only({"--input", "--output"}); !st.ok()) return st;
  auto inputs = args.values("--input");
  if (inputs.empty()) return nagare::status::invalid_argument("missing --input URI [URI...]");
  auto input = nagare::line_source::from_uris(inputs);
  if (!input.ok()) return input.error();
  auto output = args.required("--output");
  if (!output.ok()) return output.error();
  auto counts = nagare::uri_sink<word_count>::from_uri(
      *output, nagare::default_formatter<word_count>(),
      [](const word_count& c, std::string& key) { key += c.first; });
  if (!counts.ok()) return counts.error();

  job.source(input.value())
      .name("lines")
      .uid("lines")
      .flat_map<std::string>(split_words)
      .name("split")
      .key_by([](const std::string& word) -> const std::string& { return word; })
      .aggregate(nagare::count())
      .name("count")
      .uid("count")
      .sink(counts.value())
      .name("write");
  return {};
}

}  // namespace

NAGARE_JOB("wordcount", build)
