// An independent WindowCount for tests: the windows the window_count job
// must write for given input files, computed by a plain simulation of the
// window semantics (docs/user-guide.md, "Windows") with no Nagare code.
//
// The engine's watermark lags behind the records: a source emits one after
// each poll of up to 1024 records, so when a record reaches the window
// operator the watermark reflects the records of its file up to some earlier
// poll. What happens to a record beyond the out-of-orderness bound (added to
// a pending window, added to a fired window that fires again, or too late)
// depends on that watermark. The reference therefore simulates every record
// twice: with the latest possible watermark (from every earlier record of
// its file) and with a watermark at least `watermark_lag` records older. An
// input on which both agree for every record is deterministic: any watermark
// in between gives the same outcome, since every outcome is monotone in the
// watermark. expected_windows() reports any other input as invalid.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace nagare::testing {

// The records a source has certainly polled and sent on before a record
// reaches the window operator: all but the last `watermark_lag` lines and
// records of its file (4 polls of 1024).
inline constexpr size_t watermark_lag = 4096;

struct window_spec {
  enum class kind { tumbling, sliding, session, count };
  kind type = kind::tumbling;
  int64_t size = 0;   // tumbling, sliding: window length in ms
  int64_t slide = 0;  // sliding
  int64_t gap = 0;    // session
  int64_t count = 0;  // count: records per window

  static window_spec tumbling(int64_t size) { return {kind::tumbling, size, 0, 0, 0}; }
  static window_spec sliding(int64_t size, int64_t slide) {
    return {kind::sliding, size, slide, 0, 0};
  }
  static window_spec session(int64_t gap) { return {kind::session, 0, 0, gap, 0}; }
  static window_spec count_of(int64_t n) { return {kind::count, 0, 0, 0, n}; }
  // The job's --window argument: "tumbling:10000", "count:5", ...
  std::string text() const;
};

// One well-formed input line "timestamp_ms,key,value".
struct window_record {
  int64_t ts = 0;
  std::string key;
  int64_t value = 0;
  std::string line;  // as the job reads it: without "\n" and "\r"
};

// Parses one line; false for a line the job must skip as malformed: not
// three comma-separated fields, an empty key, or a timestamp or value that
// is not "-"? digit+ within the signed 64-bit range.
bool parse_window_record(const std::string& line, window_record& out);

// The window operator of the job as a plain simulation of one run with a
// watermark the caller sets before each record. Emitted windows go to
// results() as "key,start,end,count,sum" lines, records too late for every
// window to late() as their original lines.
class window_simulation {
 public:
  window_simulation(window_spec spec, int64_t lateness);

  // Raises the watermark to w (a lower w is ignored): windows with
  // max <= w fire, windows with max + lateness <= w are purged.
  void advance(int64_t w);
  // What adding r at the current watermark would do, as a comparable text,
  // without changing anything; "ambiguous" when the semantics leave it open
  // (a session record too late for its own window that touches a live
  // session).
  std::string probe(const window_record& r) { return step(r, false); }
  // Adds r at the current watermark; returns what probe() would have.
  std::string add(const window_record& r) { return step(r, true); }
  // End of input: the watermark jumps to the maximum; every pending window fires.
  void finish() { advance(INT64_MAX); }

  int64_t watermark() const { return watermark_; }
  const std::vector<std::string>& results() const { return results_; }
  const std::vector<std::string>& late() const { return late_; }
  uint64_t refired() const { return refired_; }  // firings caused by a late record

 private:
  struct accumulator {
    int64_t start = 0, end = 0;  // [start, end); for count windows min and max timestamp
    uint64_t count = 0;
    uint64_t sum = 0;  // wraps like the job's
    bool fired = false;
  };
  using timer = std::tuple<int64_t, std::string, int64_t>;  // (time, key, window start)

  std::string step(const window_record& r, bool apply);
  std::string step_time(const window_record& r, bool apply);
  std::string step_session(const window_record& r, bool apply);
  std::string step_count(const window_record& r, bool apply);
  void emit(const std::string& key, const accumulator& a);
  int64_t max_of(const accumulator& a) const { return a.end - 1; }

  window_spec spec_;
  int64_t lateness_;
  int64_t watermark_ = INT64_MIN;
  // Time windows: key -> start -> window. Sessions: key -> start -> live session.
  std::map<std::string, std::map<int64_t, accumulator>> windows_;
  std::map<std::string, std::vector<window_record>> counting_;  // count windows being filled
  std::set<timer> fire_at_;   // (max, key, start); stale entries are skipped
  std::set<timer> purge_at_;  // (max + lateness, key, start)
  std::vector<std::string> results_;
  std::vector<std::string> late_;
  uint64_t refired_ = 0;
};

struct window_expectation {
  std::vector<std::string> results;  // "key,start,end,count,sum", sorted
  std::vector<std::string> late;     // original lines of late records, sorted
  uint64_t records = 0;              // well-formed lines
  uint64_t malformed = 0;
  uint64_t beyond_bound = 0;  // records behind their file's max timestamp by more than the bound
  uint64_t refired = 0;       // firings caused by a record added to an already fired window
  std::string invalid;        // empty for an input with one possible output; else why not
};

// The job's output for these input files (texts) run with --window `spec`
// --out-of-orderness `bound` --lateness `lateness`.
//
// One file: simulated twice as described above; invalid when the two
// simulations classify some record differently.
// Several files: the files' records interleave in no fixed order and the
// watermark is the minimum over them, so every record must be within the
// bound of its file (then no record is ever late and every window fires once
// with everything), no two records of a key in a session may be exactly the
// gap apart (whether they merge would depend on timing), and for count
// windows every key must come from one file; otherwise invalid.
window_expectation expected_windows(const std::vector<std::string>& texts, const window_spec& spec,
                                    int64_t bound, int64_t lateness);

// What a window_count run wrote into its output directory: the lines of the
// result files directly in `dir` and of those in `dir`/late (names starting
// with '.' or '_' are not results), each in no particular order.
struct window_output {
  std::vector<std::string> results;
  std::vector<std::string> late;
};
window_output read_window_output(const std::string& dir);

}  // namespace nagare::testing
