// RunningSum: a running total per key over "key,value" lines.
//
//   nagare run build/jobs/librunning_sum.so -- --input URI [URI...] --output URI
//       [--dead-letter URI2] [--fail-at N]
//
// URIs name files, directories or Kafka topics (nagare/connector_uri.hpp):
// PATH or file:PATH (a text file; the output: a directory), dir:PATH,
// kafka://HOST:PORT/TOPIC?OPTIONS (one message value per line), stdout:.
// With Kafka input, "file" below reads "partition" and OFFSET is the
// message's offset; Kafka output messages are keyed by the record's key.
//   nagare submit build/jobs/librunning_sum.so -- --input-dir DIR0 [--discovery-ms MS]
//       [--bounded] --output DIR ...
//
// --input-dir monitors DIR0 (nagare::text_file_source::monitor): every file
// that appears in it (names starting with '.' or '_' excepted) is read once,
// while the job runs; with --bounded only the files present at the start, and
// the job then finishes. A split is then named by its path.
//
// A record is a line "key,value": the key is the text before the first comma
// (printable ASCII, bytes 0x20 to 0x7E, not empty), the value a signed 64-bit decimal integer (an
// optional
// '-', digits only). For every record the job writes the line "key,sum" into
// DIR, where sum is the key's total over its records so far, this one
// included (wrapping around modulo 2^64 rather than overflowing). A key's
// records from one file are summed in file order: a file is one source split,
// read in order, and the keyed exchange keeps the order of each channel. The
// records of one key from several files interleave in no fixed order.
//
// Malformed lines (no comma, an empty key, a key with a byte that is not
// printable ASCII, a value that is not an integer or does not fit in 64 bits) are not fatal: they
// are dead letters, written exactly once into DIR2 (default DIR/_dead-letter, which is not part of
// the result) as "SPLIT<TAB>OFFSET<TAB>REASON<TAB>LINE" lines, where SPLIT is
// "<index of the file in --input, from 0> <path>" and OFFSET the line's byte
// offset in its file; each source subtask that had some says how many on
// standard error when it closes.
//
// --fail-at N (N >= 1) tests recovery from a failure of user code: in the
// job's first attempt only (subtask_info::attempt == 0), subtask s of the
// summing operator throws when it processes its N-th record, that is when
// its sink, chained to it in the same subtask, receives its N-th sum. A
// restarted job (attempt >= 1) never throws, so the failure happens once
// although the restored operator counts its records afresh.
//
// Output goes through the exactly-once file sink: after failures and
// restarts DIR holds every sum once.
#include <nagare/connector.hpp>
#include <nagare/nagare.hpp>
#include <nagare/parsed_source.hpp>

#include <charconv>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace {

using entry = std::pair<std::string, int64_t>;  // (key, value or running sum)

// Parses "key,value"; a malformed line gets its reason.
nagare::result<entry> parse_entry(const std::string& line) {
  auto comma = line.find(',');
  if (comma == std::string::npos) return nagare::malformed("no comma");
  if (comma == 0) return nagare::malformed("empty key");
  for (size_t i = 0; i < comma; ++i)
    if (static_cast<unsigned char>(line[i]) < 0x20 || static_cast<unsigned char>(line[i]) > 0x7e)
      return nagare::malformed("key is not printable ASCII");
  const char* first = line.data() + comma + 1;
  const char* last = line.data() + line.size();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last) return nagare::malformed("value is not a 64-bit integer");
  return entry{line.substr(0, comma), value};
}

int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

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
                                 std::to_string(subtask_) + " fails at its record " +
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

nagare::status build(nagare::job& job, const nagare::job_args& args) {
  if (auto st = args.only({"--input", "--input-dir", "--discovery-ms", "--bounded", "--output",
                           "--dead-letter", "--fail-at"});
      !st.ok())
    return st;
  auto inputs = args.values("--input");
  auto discovery_ms = args.integer("--discovery-ms", 100);
  if (!discovery_ms.ok()) return discovery_ms.error();
  std::optional<nagare::line_source> files;
  if (args.has("--input-dir")) {
    if (!inputs.empty())
      return nagare::status::invalid_argument("give --input or --input-dir, not both");
    auto dir = args.required("--input-dir");
    if (!dir.ok()) return dir.error();
    files = nagare::line_source(nagare::text_file_source::monitor(
        *dir, static_cast<uint32_t>(*discovery_ms), args.has("--bounded")));
  } else if (!inputs.empty()) {
    auto uris = nagare::line_source::from_uris(inputs);
    if (!uris.ok()) return uris.error();
    files = std::move(uris.value());
  } else {
    return nagare::status::invalid_argument("missing --input URI [URI...] or --input-dir DIR");
  }
  auto output = args.required("--output");
  if (!output.ok()) return output.error();
  nagare::result<std::string> dead_letter = nagare::side_output_uri(*output, "_dead-letter");
  if (args.has("--dead-letter")) dead_letter = args.required("--dead-letter");
  if (!dead_letter.ok()) return dead_letter.error();
  if (*dead_letter == *output)
    return nagare::status::invalid_argument("--dead-letter must differ from --output");
  auto sums = nagare::uri_sink<entry>::from_uri(
      *output,
      [](const entry& e, std::string& out) {
        out += e.first;
        out += ',';
        out += std::to_string(e.second);
      },
      [](const entry& e, std::string& key) { key += e.first; });
  if (!sums.ok()) return sums.error();
  auto dead_letters = nagare::uri_sink<nagare::dead_letter>::from_uri(
      *dead_letter, nagare::default_formatter<nagare::dead_letter>());
  if (!dead_letters.ok()) return dead_letters.error();
  auto fail_at = args.integer("--fail-at", 0);
  if (!fail_at.ok()) return fail_at.error();
  if (args.has("--fail-at") && *fail_at < 1)
    return nagare::status::invalid_argument("--fail-at must be at least 1, got " +
                                            std::to_string(*fail_at));

  auto lines = nagare::parse(*files, parse_entry).dead_letters(dead_letters.value());
  job.source(lines)
      .name("lines")
      .uid("lines")
      .key_by([](const entry& e) -> const std::string& { return e.first; })
      .reduce([](const entry& sum, const entry& e) {
        return entry{e.first, wrapping_add(sum.second, e.second)};
      })
      .name("sum")
      .uid("sum")
      .sink(fail_once_sink(std::move(sums.value()), static_cast<uint64_t>(*fail_at)))
      .name("write")
      .uid("write");
  return {};
}

}  // namespace

NAGARE_JOB("running_sum", build)
