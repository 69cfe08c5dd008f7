// Fuzz target "lines": the text of an input file as the text file source
// splits it into lines and the parse adapter (nagare/parsed_source.hpp)
// turns them into records or dead letters, with a replay from the position
// a checkpoint would record. The first byte sets how many records a poll
// asks for (1 to 8); the rest is the file.
//
// Invariants, against lines computed here (split at "\n", one trailing "\r"
// dropped, a last line without "\n" kept unless empty): every line becomes
// one record or one dead letter, in order; a dead letter holds the line as
// it was, its split and the byte offset of its start; a reader restored
// from the positions after the first poll emits exactly the lines after
// them, and keeps the dead-letter count. (The readers are not closed: close()
// reports the dead letters on standard error; destroying them closes the file.)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "nagare/parsed_source.hpp"
#include "source/split_enumerator.hpp"

namespace nagare::fuzz {

namespace {

constexpr const char* target = "lines";

// A line of decimal digits (at most 18) is a record; anything else is not.
result<int64_t> parse_number(const std::string& line) {
  if (line.empty() || line.size() > 18) return malformed("not a number");
  int64_t v = 0;
  for (char c : line) {
    if (c < '0' || c > '9') return malformed("not a digit");
    v = v * 10 + (c - '0');
  }
  return v;
}

struct line {
  std::string text;
  uint64_t offset = 0;
};

std::vector<line> lines_of(const std::string& file) {
  std::vector<line> out;
  size_t start = 0;
  while (start < file.size()) {
    auto nl = file.find('\n', start);
    auto end = nl == std::string::npos ? file.size() : nl;
    auto text = file.substr(start, end - start);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    out.push_back({text, start});
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::vector<dead_letter>* letters = nullptr;  // where the sinks write

class letter_sink final : public sink<dead_letter> {
 public:
  status open(const subtask_info&) override { return {}; }
  status write(const dead_letter& d) override {
    letters->push_back(d);
    return {};
  }
  status close() override { return {}; }
  status recover(const std::vector<std::string>&, uint32_t, const subtask_info&) override {
    return {};
  }
};

struct letter_sink_descriptor {
  using record_type = dead_letter;
  std::string name() const { return "dead letters"; }
  status validate() const { return {}; }
  owned<sink<dead_letter>> create() const { return make_owned<letter_sink>(); }
};

class records final : public detail::input_port<int64_t> {
 public:
  void push(int64_t& r) override { got.push_back(r); }
  std::vector<int64_t> got;
};

// The input file, one per process, removed when the process exits.
const std::string& file_path() {
  static const std::string path = "/tmp/nagare-fuzz-lines-" + std::to_string(::getpid());
  // Registered once `path` is made, so it runs before `path` is destroyed.
  static const int removed_at_exit = std::atexit([] { ::unlink(path.c_str()); });
  (void)removed_at_exit;
  return path;
}

// Polls until the end (or `polls` polls); fails on an error.
void poll(source_reader<int64_t>& r, size_t per_poll, records& out, size_t polls = SIZE_MAX) {
  collector<int64_t> c(&out);
  bool end = false;
  for (size_t i = 0; i < polls && !end; ++i) {
    auto st = r.poll(per_poll, c, end);
    NAGARE_FUZZ_CHECK(target, st.ok(), "poll failed: " + st.message());
  }
}

}  // namespace

int fuzz_lines(const uint8_t* data, size_t size) {
  input in(data, size);
  const size_t per_poll = 1 + in.byte() % 8;
  const std::string file = in.rest();
  if (FILE* f = std::fopen(file_path().c_str(), "wb")) {
    std::fwrite(file.data(), 1, file.size(), f);
    std::fclose(f);
  }
  const auto source =
      parse(text_file_source({file_path()}), parse_number).dead_letters(letter_sink_descriptor{});
  auto spec = source.enumerator(1);
  auto splits = make_split_enumerator(spec.kind, spec.config).value()->discover().value();
  NAGARE_FUZZ_CHECK(target, splits.size() == 1, "one file, one split");
  subtask_info info;
  info.task_name = "lines (1/1)";

  std::vector<dead_letter> dead;
  letters = &dead;
  records got;
  auto r = source.create();
  NAGARE_FUZZ_CHECK(target, r->open(info).ok(), "open failed");
  r->add_splits(splits);
  r->no_more_splits();
  poll(*r, per_poll, got, 1);
  std::vector<std::string> positions;
  r->positions(positions);
  const size_t records_then = got.got.size(), letters_then = dead.size();
  NAGARE_FUZZ_CHECK(target, r->dead_letters() == letters_then, "dead letters miscounted");
  poll(*r, per_poll, got);

  // Every line once, in order.
  const auto lines = lines_of(file);
  size_t rec = 0, let = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto parsed = parse_number(lines[i].text);
    if (parsed.ok()) {
      NAGARE_FUZZ_CHECK(target, rec < got.got.size() && got.got[rec] == parsed.value(),
                        "line " + std::to_string(i) + ": record missing or wrong");
      ++rec;
    } else {
      NAGARE_FUZZ_CHECK(target, let < dead.size(), "line " + std::to_string(i) + ": no letter");
      const auto& d = dead[let++];
      NAGARE_FUZZ_CHECK(
          target,
          d.record == lines[i].text && d.split == splits[0].id && d.position == lines[i].offset,
          "line " + std::to_string(i) + ": dead letter differs");
    }
  }
  NAGARE_FUZZ_CHECK(target, rec == got.got.size() && let == dead.size(), "records of no line");

  // A replay from the positions after the first poll.
  std::vector<dead_letter> replayed;
  letters = &replayed;
  records again;
  auto restored = source.create();
  NAGARE_FUZZ_CHECK(target, restored->open(info).ok(), "open failed");
  auto st = restored->restore(positions, info);
  NAGARE_FUZZ_CHECK(target, st.ok(), "own positions refused: " + st.message());
  restored->add_splits(splits);
  restored->no_more_splits();
  poll(*restored, per_poll, again);
  letters = nullptr;
  NAGARE_FUZZ_CHECK(
      target,
      again.got.size() == got.got.size() - records_then &&
          std::equal(again.got.begin(), again.got.end(), got.got.begin() + records_then),
      "a replay emits other records");
  NAGARE_FUZZ_CHECK(target,
                    replayed.size() == dead.size() - letters_then &&
                        std::equal(replayed.begin(), replayed.end(), dead.begin() + letters_then),
                    "a replay emits other dead letters");
  NAGARE_FUZZ_CHECK(target, restored->dead_letters() == dead.size(), "dead-letter count lost");
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_lines)
