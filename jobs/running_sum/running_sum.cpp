// RunningSum: a running total per key over "key,value" lines.
//
//   nagare run build/jobs/librunning_sum.so -- --input PATH [PATH...] --output DIR [--fail-at N]
//
// A record is a line "key,value": the key is the text before the first comma
// (ASCII, not empty), the value a signed 64-bit decimal integer (an optional
// '-', digits only). For every record the job writes the line "key,sum" into
// DIR, where sum is the key's total over its records so far, this one
// included (wrapping around modulo 2^64 rather than overflowing). A key's
// records from one file are summed in file order: a file is one source split,
// read in order, and the keyed exchange keeps the order of each channel. The
// records of one key from several files interleave in no fixed order.
//
// Malformed lines (no comma, an empty key, a value that is not an integer or
// does not fit in 64 bits) are skipped, not fatal: each source subtask counts
// them and reports the count on standard error when it closes (the job API
// has no metrics to report it through).
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
#include <nagare/nagare.hpp>

#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace {

using entry = std::pair<std::string, int64_t>;  // (key, value or running sum)

// Parses "key,value"; false for a malformed line.
bool parse_entry(const std::string& line, entry& out) {
  auto comma = line.find(',');
  if (comma == std::string::npos || comma == 0) return false;
  const char* first = line.data() + comma + 1;
  const char* last = line.data() + line.size();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last) return false;
  out.first.assign(line, 0, comma);
  out.second = value;
  return true;
}

int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// The lines of text files parsed into entries; malformed lines are counted
// and dropped. Replay positions are those of the text file source.
class entry_source {
 public:
  using record_type = entry;
  explicit entry_source(std::vector<std::string> paths) : lines_(std::move(paths)) {}
  std::string name() const { return "key,value lines"; }
  nagare::status validate() const { return lines_.validate(); }
  std::unique_ptr<nagare::source_reader<entry>> create() const {
    return std::make_unique<reader>(lines_.create());
  }

 private:
  // Parses each line the text reader emits and passes the entry on.
  class parser final : public nagare::detail::input_port<std::string> {
   public:
    parser(nagare::collector<entry>& out, uint64_t& skipped) : out_(out), skipped_(skipped) {}
    void push(std::string& line) override {
      entry e;
      if (parse_entry(line, e))
        out_.emit(std::move(e));
      else
        ++skipped_;
    }

   private:
    nagare::collector<entry>& out_;
    uint64_t& skipped_;
  };

  class reader final : public nagare::source_reader<entry> {
   public:
    explicit reader(std::unique_ptr<nagare::source_reader<std::string>> lines)
        : lines_(std::move(lines)) {}
    nagare::status open(const nagare::subtask_info& info) override {
      task_name_ = info.task_name;
      return lines_->open(info);
    }
    nagare::status poll(size_t max_records, nagare::collector<entry>& out, bool& end) override {
      parser p(out, skipped_);
      nagare::collector<std::string> lines(&p);
      return lines_->poll(max_records, lines, end);
    }
    nagare::status close() override {
      if (skipped_ > 0)
        std::fprintf(stderr, "running_sum: %s skipped %llu malformed line%s\n", task_name_.c_str(),
                     static_cast<unsigned long long>(skipped_), skipped_ == 1 ? "" : "s");
      return lines_->close();
    }
    void positions(std::vector<std::string>& out) const override { lines_->positions(out); }
    nagare::status restore(const std::vector<std::string>& entries,
                           const nagare::subtask_info& info) override {
      return lines_->restore(entries, info);
    }

   private:
    std::unique_ptr<nagare::source_reader<std::string>> lines_;
    std::string task_name_;
    uint64_t skipped_ = 0;  // malformed lines since open
  };

  nagare::text_file_source lines_;
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
  std::unique_ptr<nagare::sink<record_type>> create() const {
    return std::make_unique<writer>(inner_.create(), fail_at_);
  }

 private:
  using base = nagare::sink<record_type>;

  class writer final : public base {
   public:
    writer(std::unique_ptr<base> inner, uint64_t fail_at)
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
    std::unique_ptr<base> inner_;
    uint64_t fail_at_;
    bool armed_ = false;
    uint32_t subtask_ = 0;
    uint64_t seen_ = 0;  // records written in this attempt
  };

  Inner inner_;
  uint64_t fail_at_;
};

nagare::status build(nagare::job& job, const nagare::job_args& args) {
  if (auto st = args.only({"--input", "--output", "--fail-at"}); !st.ok()) return st;
  auto inputs = args.values("--input");
  if (inputs.empty()) return nagare::status::invalid_argument("missing --input PATH [PATH...]");
  auto output = args.required("--output");
  if (!output.ok()) return output.error();
  auto fail_at = args.integer("--fail-at", 0);
  if (!fail_at.ok()) return fail_at.error();
  if (args.has("--fail-at") && *fail_at < 1)
    return nagare::status::invalid_argument("--fail-at must be at least 1, got " +
                                            std::to_string(*fail_at));

  nagare::file_sink<entry> sums(*output, [](const entry& e, std::string& out) {
    out += e.first;
    out += ',';
    out += std::to_string(e.second);
  });
  job.source(entry_source(inputs))
      .name("lines")
      .uid("lines")
      .key_by([](const entry& e) -> const std::string& { return e.first; })
      .reduce([](const entry& sum, const entry& e) {
        return entry{e.first, wrapping_add(sum.second, e.second)};
      })
      .name("sum")
      .uid("sum")
      .sink(fail_once_sink(std::move(sums), static_cast<uint64_t>(*fail_at)))
      .name("write")
      .uid("write");
  return {};
}

}  // namespace

NAGARE_JOB("running_sum", build)
