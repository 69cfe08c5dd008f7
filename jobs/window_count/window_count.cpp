// WindowCount: the number and the sum of the values per key and event-time
// window over "timestamp_ms,key,value" lines.
//
//   nagare run build/jobs/libwindow_count.so -- --input URI [URI...] --output URI
//       --window SPEC --out-of-orderness MS [--lateness MS] [--source-parallelism N]
//       [--dead-letter URI2] [--fail-at N]
//
// URIs name files, directories or Kafka topics (nagare/connector_uri.hpp):
// PATH or file:PATH (a text file; the output: a directory), dir:PATH,
// kafka://HOST:PORT/TOPIC?OPTIONS (one message value per line), stdout:.
// With Kafka input, "file" below reads "partition" and OFFSET is the
// message's offset. The late output is DIR/late for a directory and the
// topic TOPIC-late for kafka://.../TOPIC (the dead letters: TOPIC-dead-letter);
// Kafka output messages are keyed by the record's key.
//
// SPEC is one of
//   tumbling:SIZE_MS         windows [start, start + SIZE) with start a multiple of SIZE
//   sliding:SIZE_MS:SLIDE_MS windows of SIZE starting at every multiple of SLIDE
//   session:GAP_MS           a key's records less than GAP apart (or exactly GAP:
//                            touching windows merge); [first ts, last ts + GAP)
//   count:N                  a key's next N records in arrival order; start and end
//                            are their smallest and largest timestamp
// (every number a positive decimal integer).
//
// A record is a line "timestamp_ms,key,value": the timestamp and the value
// are signed 64-bit decimal integers (an optional '-', digits only), the key
// is the non-empty text between them (no comma). Other lines (not three
// fields, an empty key, a number that is not an integer or does not fit in
// 64 bits) are malformed: they are dead letters, written exactly once into
// DIR2 (default DIR/_dead-letter, not part of the result) as
// "SPLIT<TAB>OFFSET<TAB>REASON<TAB>LINE" lines, where SPLIT is "<index of the
// file in --input, from 0> <path>" and OFFSET the line's byte offset in its
// file; each source subtask that had some says how many on standard error
// when it closes.
//
// Event time is the record's timestamp; each input file is a split whose
// watermark is its largest timestamp so far - MS - 1 (--out-of-orderness).
// A time window fires when the watermark passes its end and is kept
// --lateness MS longer (default 0): a record for a fired window within the
// lateness fires it again with its updated count and sum. For every firing
// the job writes the line "key,window_start,window_end,count,sum" into DIR
// (sum wraps around modulo 2^64 rather than overflowing). A record too late
// for every window it belongs to is written unchanged into DIR/late/, and so
// is a record with a window that cannot be represented (starting before
// -2^63 or ending after 2^63 - 1 ms). At the
// end of the input every pending window fires; an incomplete count window is
// never written, and count windows have no late records.
//
// --source-parallelism N (N >= 1) reads the files with N source subtasks
// instead of the job's parallelism. Each file is read by one subtask, so
// with fewer files than subtasks some have nothing to read; they end at
// once, but until their end reaches the window tasks it holds back the
// watermark, so which records are late can depend on scheduling at start.
//
// --fail-at N (N >= 1) tests recovery: in the job's first attempt only,
// subtask s of the window operator throws when its sink, chained to it,
// receives its N-th window result.
//
// All outputs go through the exactly-once file sink: after failures and
// restarts they hold every line once.
#include <nagare/connector.hpp>
#include <nagare/nagare.hpp>
#include <nagare/parsed_source.hpp>
#include <nagare/window.hpp>

#include <charconv>
#include <stdexcept>
#include <system_error>

namespace {

// One input line, parsed. The late output writes the line unchanged: `line`
// keeps it when the numbers are not written as std::to_string would write
// them ("007", "-0"); it is empty when "ts,key,value" gives the line back,
// which spares the exchange a second copy of the key.
struct reading {
  int64_t ts = 0;
  int64_t value = 0;
  std::string key;
  std::string line;

  void write_line(std::string& out) const {
    if (!line.empty()) {
      out += line;
      return;
    }
    out += std::to_string(ts);
    out += ',';
    out += key;
    out += ',';
    out += std::to_string(value);
  }
};

}  // namespace

template <>
struct nagare::codec<reading> {
  static void encode(const reading& r, std::string& out) {
    codec<int64_t>::encode(r.ts, out);
    codec<int64_t>::encode(r.value, out);
    codec<std::string>::encode(r.key, out);
    codec<std::string>::encode(r.line, out);
  }
  static bool decode(byte_reader& in, reading& r) {
    return codec<int64_t>::decode(in, r.ts) && codec<int64_t>::decode(in, r.value) &&
           codec<std::string>::decode(in, r.key) && codec<std::string>::decode(in, r.line);
  }
};

namespace {

bool parse_int(const char* first, const char* last, int64_t& out) {
  if (first == last) return false;
  auto [end, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && end == last;
}

// True when `v` is written as the `n` characters it was parsed from (no
// leading zeros, no "-0").
bool canonical(int64_t v, size_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() && static_cast<size_t>(end - buf) == n;
}

// Parses "timestamp,key,value"; a malformed line gets its reason. Moves
// from `line` only when it succeeds (a dead letter keeps the line).
nagare::result<reading> parse_reading(std::string& line) {
  auto first = line.find(',');
  auto second = first == std::string::npos ? first : line.find(',', first + 1);
  if (second == std::string::npos || line.find(',', second + 1) != std::string::npos)
    return nagare::malformed("not three comma-separated fields");
  if (second == first + 1) return nagare::malformed("empty key");
  reading out;
  const char* p = line.data();
  if (!parse_int(p, p + first, out.ts))
    return nagare::malformed("timestamp is not a 64-bit integer");
  if (!parse_int(p + second + 1, p + line.size(), out.value))
    return nagare::malformed("value is not a 64-bit integer");
  out.key.assign(line, first + 1, second - first - 1);
  if (!canonical(out.ts, first) || !canonical(out.value, line.size() - second - 1))
    out.line = std::move(line);
  return out;
}

// Count and sum of a window's values; the sum wraps (unsigned arithmetic).
struct count_and_sum {
  struct accumulator {
    uint64_t count = 0;
    uint64_t sum = 0;
  };
  accumulator create() const { return {}; }
  void add(accumulator& a, const reading& r) const {
    ++a.count;
    a.sum += static_cast<uint64_t>(r.value);
  }
  void merge(accumulator& a, const accumulator& b) const {
    a.count += b.count;
    a.sum += b.sum;
  }
  accumulator result(const accumulator& a) const { return a; }
};

// A sink that passes everything to `Inner` and, with fail_at > 0, throws on
// its fail_at-th record in attempt 0 (see --fail-at above).
template <class Inner>
class fail_once_sink {
 public:
  using record_type = typename Inner::record_type;
  fail_once_sink(Inner inner, uint64_t fail_at) : inner_(std::move(inner)), fail_at_(fail_at) {}
  std::string name() const { return inner_.name(); }
  nagare::status validate() const { return inner_.validate(); }
  nagare::owned<nagare::sink<record_type>> create() const {
    return nagare::make_owned<writer>(inner_.create(), fail_at_);
  }

 private:
  using base = nagare::sink<record_type>;

  class writer final : public base {
   public:
    writer(nagare::owned<base> inner, uint64_t fail_at)
        : inner_(std::move(inner)), fail_at_(fail_at) {}
    nagare::status open(const nagare::subtask_info& info) override {
      armed_ = fail_at_ > 0 && info.attempt == 0;
      subtask_ = info.subtask;
      return inner_->open(info);
    }
    nagare::status write(const record_type& r) override {
      if (armed_ && ++seen_ == fail_at_) {
        armed_ = false;
        throw std::runtime_error("--fail-at " + std::to_string(fail_at_) + ": subtask " +
                                 std::to_string(subtask_) + " fails at its window result " +
                                 std::to_string(fail_at_) + " (first attempt only)");
      }
      return inner_->write(r);
    }
    nagare::status close() override { return inner_->close(); }
    nagare::status pre_commit(uint64_t checkpoint) override {
      return inner_->pre_commit(checkpoint);
    }
    void pending(std::vector<std::string>& out) const override { inner_->pending(out); }
    nagare::status commit(uint64_t checkpoint) override { return inner_->commit(checkpoint); }
    nagare::status recover(const std::vector<std::string>& entries, uint32_t previous_parallelism,
                           const nagare::subtask_info& info) override {
      return inner_->recover(entries, previous_parallelism, info);
    }

   private:
    nagare::owned<base> inner_;
    uint64_t fail_at_;
    bool armed_ = false;
    uint32_t subtask_ = 0;
    uint64_t seen_ = 0;  // records written in this attempt
  };

  Inner inner_;
  uint64_t fail_at_;
};

// --window SPEC, parsed and checked.
struct window_choice {
  enum class kind { tumbling, sliding, session, count };
  kind type = kind::tumbling;
  int64_t a = 0;  // size, gap or N
  int64_t b = 0;  // slide
};

constexpr const char* spec_forms =
    "tumbling:SIZE_MS, sliding:SIZE_MS:SLIDE_MS, session:GAP_MS or count:N";

nagare::result<window_choice> parse_window(const std::string& spec) {
  auto bad = [&](const std::string& why) {
    return nagare::status::invalid_argument("--window '" + spec + "': " + why + " (expected " +
                                            spec_forms + ")");
  };
  std::vector<std::string> parts;
  for (size_t begin = 0;;) {
    auto colon = spec.find(':', begin);
    parts.push_back(spec.substr(begin, colon == std::string::npos ? colon : colon - begin));
    if (colon == std::string::npos) break;
    begin = colon + 1;
  }
  window_choice w;
  size_t numbers = 1;
  if (parts[0] == "tumbling") {
    w.type = window_choice::kind::tumbling;
  } else if (parts[0] == "sliding") {
    w.type = window_choice::kind::sliding;
    numbers = 2;
  } else if (parts[0] == "session") {
    w.type = window_choice::kind::session;
  } else if (parts[0] == "count") {
    w.type = window_choice::kind::count;
  } else {
    return bad("unknown window kind '" + parts[0] + "'");
  }
  if (parts.size() != numbers + 1)
    return bad(parts[0] + " takes " + (numbers == 1 ? "one number" : "two numbers"));
  int64_t* out[] = {&w.a, &w.b};
  for (size_t i = 0; i < numbers; ++i) {
    const auto& p = parts[i + 1];
    if (!parse_int(p.data(), p.data() + p.size(), *out[i]) || *out[i] <= 0)
      return bad("'" + p + "' is not a positive integer");
  }
  return w;
}

// A non-negative number of milliseconds; `fallback` when absent, unless `required`.
nagare::result<int64_t> milliseconds(const nagare::job_args& args, const char* option,
                                     bool required) {
  if (required && !args.has(option))
    return nagare::status::invalid_argument(std::string("missing ") + option + " MS");
  return args.integer(option, 0, 0);
}

using window_line = nagare::window_result<std::string, count_and_sum::accumulator>;

struct settings {
  nagare::line_source input;
  nagare::uri_sink<window_line> results;
  nagare::uri_sink<reading> late;
  nagare::uri_sink<nagare::dead_letter> dead_letter_sink;
  int64_t bound = 0;
  int64_t lateness = 0;
  uint64_t fail_at = 0;
  uint32_t source_parallelism = 0;  // 0: the job's
};

// The dataflow for one kind of window: source -> key_by -> window -> two sinks.
// The results sink comes first: sinks validate (create and check) their
// directories in this order, and DIR must be checked before DIR/late exists.
template <class Assigner>
void wire(nagare::job& job, const settings& s, Assigner assigner) {
  auto strategy = nagare::watermark_strategy<reading>::bounded_out_of_orderness(
      s.bound, [](const reading& r) { return r.ts; });
  auto source = nagare::parse(s.input, parse_reading).dead_letters(s.dead_letter_sink);
  auto lines = job.source(source, strategy).name("lines").uid("lines");
  if (s.source_parallelism > 0) lines.parallelism(s.source_parallelism);
  auto windows = lines.key_by([](const reading& r) -> const std::string& { return r.key; })
                     .window(assigner)
                     .allowed_lateness(s.lateness)
                     .aggregate(count_and_sum{});
  windows.name("window").uid("window");
  windows.results().sink(fail_once_sink(s.results, s.fail_at)).name("write").uid("write");
  windows.late_records().sink(s.late).name("write late").uid("write late");
}

void format_window(const window_line& w, std::string& out) {
  out += w.key;
  out += ',';
  out += std::to_string(w.start);
  out += ',';
  out += std::to_string(w.end);
  out += ',';
  out += std::to_string(w.value.count);
  out += ',';
  out += std::to_string(static_cast<int64_t>(w.value.sum));
}

nagare::status build(nagare::job& job, const nagare::job_args& args) {
  if (auto st = args.only({"--input", "--output", "--window", "--out-of-orderness", "--lateness",
                           "--source-parallelism", "--dead-letter", "--fail-at"});
      !st.ok())
    return st;
  auto input = nagare::line_source::from_option(args, "--input");
  if (!input.ok()) return input.error();
  auto output = args.required("--output");
  if (!output.ok()) return output.error();
  nagare::result<std::string> dead_letter = nagare::side_output_uri(*output, "_dead-letter");
  if (args.has("--dead-letter")) dead_letter = args.required("--dead-letter");
  if (!dead_letter.ok()) return dead_letter.error();
  const auto late_uri = nagare::side_output_uri(*output, "late");
  if (*dead_letter == *output || *dead_letter == late_uri)
    return nagare::status::invalid_argument(
        "--dead-letter must differ from --output and its late output");
  auto results = nagare::uri_sink<window_line>::from_uri(
      *output, format_window, [](const window_line& w, std::string& key) { key += w.key; });
  if (!results.ok()) return results.error();
  auto late = nagare::uri_sink<reading>::from_uri(
      late_uri, [](const reading& r, std::string& out) { r.write_line(out); },
      [](const reading& r, std::string& key) { key += r.key; });
  if (!late.ok()) return late.error();
  auto dead_letters = nagare::uri_sink<nagare::dead_letter>::from_uri(
      *dead_letter, nagare::default_formatter<nagare::dead_letter>());
  if (!dead_letters.ok()) return dead_letters.error();
  settings s{std::move(input.value()), std::move(results.value()), std::move(late.value()),
             std::move(dead_letters.value())};
  auto spec = args.required("--window");
  if (!spec.ok()) return spec.error();
  auto window = parse_window(*spec);
  if (!window.ok()) return window.error();
  auto bound = milliseconds(args, "--out-of-orderness", true);
  if (!bound.ok()) return bound.error();
  s.bound = *bound;
  auto lateness = milliseconds(args, "--lateness", false);
  if (!lateness.ok()) return lateness.error();
  s.lateness = *lateness;
  auto fail_at = args.integer("--fail-at", 0);
  if (!fail_at.ok()) return fail_at.error();
  if (args.has("--fail-at") && *fail_at < 1)
    return nagare::status::invalid_argument("--fail-at must be at least 1, got " +
                                            std::to_string(*fail_at));
  s.fail_at = static_cast<uint64_t>(*fail_at);
  auto source_parallelism = args.integer("--source-parallelism", 0);
  if (!source_parallelism.ok()) return source_parallelism.error();
  if (args.has("--source-parallelism") && (*source_parallelism < 1 || *source_parallelism > 4096))
    return nagare::status::invalid_argument("--source-parallelism must be from 1 to 4096, got " +
                                            std::to_string(*source_parallelism));
  s.source_parallelism = static_cast<uint32_t>(*source_parallelism);

  switch (window->type) {
    case window_choice::kind::tumbling:
      wire(job, s, nagare::tumbling_event_time_windows(window->a));
      break;
    case window_choice::kind::sliding:
      wire(job, s, nagare::sliding_event_time_windows(window->a, window->b));
      break;
    case window_choice::kind::session:
      wire(job, s, nagare::event_time_session_windows(window->a));
      break;
    case window_choice::kind::count:
      wire(job, s, nagare::count_windows(static_cast<uint64_t>(window->a)));
      break;
  }
  return {};
}

}  // namespace

NAGARE_JOB("window_count", build)
