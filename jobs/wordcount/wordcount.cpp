// WordCount: counts the words of text files.
//
//   nagare run build/jobs/libwordcount.so -- --input PATH [PATH...] --output DIR
//
// A word is a maximal run of ASCII letters and digits, lower-cased. When the
// input ends, every word is written once as "word<TAB>count" into DIR.
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
  if (inputs.empty()) return nagare::status::invalid_argument("missing --input PATH [PATH...]");
  auto output = args.required("--output");
  if (!output.ok()) return output.error();

  job.source(nagare::text_file_source(inputs))
      .name("lines")
      .uid("lines")
      .flat_map<std::string>(split_words)
      .name("split")
      .key_by([](const std::string& word) -> const std::string& { return word; })
      .aggregate(nagare::count())
      .name("count")
      .uid("count")
      .sink(nagare::file_sink<word_count>(*output))
      .name("write");
  return {};
}

}  // namespace

NAGARE_JOB("wordcount", build)
