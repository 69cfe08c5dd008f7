// Sources. A source descriptor (what the job declares) creates one reader per
// source subtask. A reader produces records when polled and keeps a replay
// position per split, so that a restored job can rewind it.
//
// Descriptor contract (any type with):
//   using record_type = T;
//   std::string name() const;                       // default operator name
//   nagare::status validate() const;                // checked before the job starts
//   owned<source_reader<T>> create() const;
// and optionally, for a source on the split contract (nagare/split.hpp):
//   nagare::enumerator_spec enumerator(uint32_t parallelism) const;
// whose splits the job master discovers and hands to the readers at run time
// (source_reader::add_splits). Without it, each reader deals out its own
// splits in open() (the static contract).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/collector.hpp"
#include "nagare/detail/gcd.hpp"
#include "nagare/function.hpp"
#include "nagare/owned.hpp"
#include "nagare/split.hpp"
#include "nagare/status.hpp"

namespace nagare {

// Where a record a reader emits comes from: its split, named as poll() names
// it ("" for a reader that is one split), and its position in that split
// when the reader knows one (the byte offset of a line, a message's offset).
// Used for dead letters (nagare/dead_letter.hpp). The view is valid until
// the reader emits its next record or its poll() returns.
struct record_origin {
  std::string_view split;
  std::optional<uint64_t> position;
};

// Called from the task's thread only, in the order
//   open -> [restore] -> splits -> (add_splits | no_more_splits | poll
//        | positions | prepare_checkpoint | checkpoint_complete)* -> close.
//
// The split contract (a descriptor with enumerator()): the job master hands
// the reader its splits through add_splits(), before the first poll and
// whenever its enumerator finds more, and calls no_more_splits() once none
// will come. Such a reader reads only the splits it was given, names each
// one's records by the split's id (out.split(id); out.split_finished(id) once
// exhausted or at its end position), reports one position entry per split
// (encode_split_position, finished splits included), and sets `end` in poll()
// only after no_more_splits() once every split is exhausted: without it the
// source is unbounded and never ends. Its restore() only remembers the
// restored positions by split id: a split given later starts at its restored
// position if there is one, else at split.start.
//
// Splits and watermarks: a reader that reads several splits names the split
// of its records through the collector (out.split(id) before a split's
// records, out.split_finished(id) once it has no more) and lists them up
// front in splits(); the source then generates watermarks per split
// (nagare/watermark.hpp). A reader that names none is one split.
template <class T>
class source_reader {
 public:
  virtual ~source_reader() = default;
  virtual status open(const subtask_info& info) = 0;
  // Emits at most `max_records` records; sets `end` once every split of this
  // subtask is exhausted. An error fails the task.
  virtual status poll(size_t max_records, collector<T>& out, bool& end) = 0;
  // The names of the splits this subtask will read (after open() or
  // restore()), as poll() will name them; none: the reader is one split. A
  // split listed here holds the watermark back until it has records (or is
  // finished or idle).
  virtual void splits(std::vector<std::string>& out) const { (void)out; }
  virtual status close() { return {}; }

  // The split contract (above): more splits for this subtask, in their
  // discovery order, and the promise that none will follow. The defaults (a
  // reader on the static contract) ignore them. A malformed split fails the
  // task at the next poll().
  virtual void add_splits(std::vector<source_split> splits) { (void)splits; }
  virtual void no_more_splits() {}

  // Appends the replay positions of this reader's splits (finished ones
  // included), one self-contained entry each, not tied to this subtask: the
  // readers of a later run, at any parallelism, divide them among themselves.
  virtual void positions(std::vector<std::string>& out) const { (void)out; }

  // Continues where an earlier run stopped. `entries` are the positions() of
  // every subtask of that run, in no particular order; every subtask of this
  // run gets the same entries and takes exactly its share, so that together
  // they emit every record not yet emitted once. `info` is as given to open().
  // REQUIRES: open() succeeded; poll() not called yet.
  // The default, for a reader that keeps no positions, accepts no entries and
  // starts over: such a source replays its whole input (at least once).
  virtual status restore(const std::vector<std::string>& entries, const subtask_info& info) {
    (void)info;
    if (!entries.empty())
      return status(errc::invalid_argument, "this source cannot take replay positions");
    return {};
  }

  // The origin of the record being emitted. REQUIRES: called from inside
  // poll(), while this reader emits a record (from the collector's next
  // operator, say a parse adapter rejecting it). The default knows none.
  virtual record_origin origin() const { return {}; }

  // Checkpoint `id`'s barrier passed the source, between polls: positions()
  // comes next. A reader that writes on the side (a parse adapter's
  // dead-letter sink) seals what it wrote since the previous barrier here.
  // An error fails the task.
  virtual status prepare_checkpoint(uint64_t id) {
    (void)id;
    return {};
  }
  // Checkpoint `id` is complete everywhere (it may be missed: a later one
  // covers it). Readers may commit here what must never run ahead of a
  // checkpoint (dead letters, offsets acknowledged to an external system).
  virtual status checkpoint_complete(uint64_t id) {
    (void)id;
    return {};
  }

  // Records this subtask's reader set aside as dead letters (malformed
  // input, nagare/parsed_source.hpp) since the job started, as far as its
  // state was restored: a per-subtask counter for the runtime to show.
  virtual uint64_t dead_letters() const { return 0; }
};

// Lines of text files, on the split contract: each file is one split. A line
// is a record without its "\n" (and "\r"); a split's position is
// (path, byte offset of its next line) in the codec of
// std::pair<std::string, uint64_t>. A subtask reads its files side by side:
// each poll takes a share of its records from every file not yet finished,
// round-robin, each file in order (so the watermarks of the files progress
// together).
//
// A list of files: split i is named "<i> <path>" and read by subtask
// i % parallelism (the "static" enumerator); the source ends when all are
// read. A restore, at any parallelism, deals the files of the first run out
// again the same way and seeks each to its offset: the files must be the same
// and not shorter than their positions.
//
// monitor(dir): a monitored directory (the "directory" enumerator): every
// regular file in `dir` is a split named by its path, found while the job
// runs (listed every `discovery_interval_ms`) and dealt to the subtasks
// round-robin in path order. Names starting with '.' or '_' are ignored:
// write a file under such a name and rename it once complete, since a file
// is read once, up to its end at that time. Unbounded (the job runs until
// cancelled or stopped) unless `bounded`: then it reads the files present at
// the start and ends.
class text_file_source {
 public:
  using record_type = std::string;
  explicit text_file_source(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  static text_file_source monitor(std::string dir, uint32_t discovery_interval_ms = 1000,
                                  bool bounded = false) {
    text_file_source s({});
    s.dir_ = std::move(dir);
    s.interval_ms_ = discovery_interval_ms;
    s.bounded_ = bounded;
    return s;
  }
  std::string name() const { return dir_.empty() ? "text file source" : "monitored directory"; }
  status validate() const;
  owned<source_reader<std::string>> create() const;
  enumerator_spec enumerator(uint32_t parallelism) const;

 private:
  std::vector<std::string> paths_;
  std::string dir_;  // monitor(): the directory
  uint32_t interval_ms_ = 0;
  bool bounded_ = true;
};

namespace detail {

// The indices next, next + stride, next + 2 * stride, ... below some count.
struct index_progression {
  uint64_t next = 0;
  uint64_t stride = 1;  // >= 1
};

// The indices of `p` below `count` that are congruent to s modulo q, as one
// progression; false when there are none. Solves next + t * stride = s
// (mod q) for the smallest t >= 0; the solutions are t0 + k * q / g with
// g = gcd(stride, q), so the part has stride stride * q / g. A part with a
// single index below `count` gets stride count - next instead (no overflow).
inline bool restrict_to_residue(index_progression p, uint64_t count, uint32_t s, uint32_t q,
                                index_progression& out) {
  if (p.next >= count || p.stride == 0 || q == 0) return false;
  const uint64_t a = p.stride % q;
  const uint64_t b = (s % q + q - p.next % q) % q;
  const uint64_t g = detail::gcd(a, uint64_t{q});  // gcd(0, q) == q
  if (b % g != 0) return false;
  const uint64_t m = q / g;
  uint64_t t0 = 0;
  if (m > 1) {
    // (a / g) * t = b / g (mod m), with a / g invertible modulo m.
    int64_t r0 = static_cast<int64_t>(m), r1 = static_cast<int64_t>((a / g) % m);
    int64_t x0 = 0, x1 = 1;
    while (r1 != 0) {
      auto quot = r0 / r1;
      r0 = std::exchange(r1, r0 - quot * r1);
      x0 = std::exchange(x1, x0 - quot * x1);
    }
    auto inverse = static_cast<uint64_t>((x0 % static_cast<int64_t>(m) + static_cast<int64_t>(m)) %
                                         static_cast<int64_t>(m));
    t0 = (b / g) % m * inverse % m;  // both factors < m <= 2^32
  }
  const uint64_t last = count - 1 - p.next;  // offset of the last index below count
  if (t0 > last / p.stride) return false;
  out.next = p.next + t0 * p.stride;
  const uint64_t room = count - 1 - out.next;
  out.stride = p.stride > room / m ? count - out.next : p.stride * m;
  return true;
}

}  // namespace detail

// A deterministic generator: record i is make(i) for i in [0, count), on the
// split contract. Its splits are those of the first run's parallelism p
// ("static" enumerator): split k (named "k") holds the indices k, k + p,
// k + 2p, ... below count, and is read by subtask k % p of that run, in
// increasing order. The same count and function give the same records in
// every run.
//
// A split's position is the progression of its indices still to emit,
// (next, stride) in the codec of std::pair<uint64_t, uint64_t>. A restore at
// another parallelism q deals the first run's p splits out whole, split k to
// subtask k % q (splits are not subdivided: with q > p some subtasks read
// nothing), each from its position: every index not yet emitted is emitted
// once. A subtask with several splits emits their indices merged in
// increasing order.
template <class T>
class generator_source {
 public:
  using record_type = T;
  generator_source(uint64_t count, function<T(uint64_t)> make)
      : count_(count), make_(std::move(make)) {}
  std::string name() const { return "generator source"; }
  status validate() const { return {}; }
  owned<source_reader<T>> create() const { return make_owned<reader>(count_, make_); }
  enumerator_spec enumerator(uint32_t parallelism) const {
    std::vector<source_split> splits;
    for (uint32_t k = 0; k < parallelism; ++k)
      splits.push_back(
          {std::to_string(k), encode(std::pair<uint64_t, uint64_t>(k, parallelism)), {}});
    return {"static", encode(splits), 0, true};
  }

 private:
  using position = std::pair<uint64_t, uint64_t>;  // next index, stride

  class reader final : public source_reader<T> {
   public:
    reader(uint64_t count, function<T(uint64_t)> make) : count_(count), make_(std::move(make)) {}

    status open(const subtask_info& info) override {
      (void)info;
      return {};
    }

    void add_splits(std::vector<source_split> splits) override {
      for (auto& s : splits) {
        const std::string* at = &s.start;
        for (const auto& e : restored_)
          if (e.first == s.id) {
            at = &e.second;
            break;
          }
        position p;
        byte_reader in(at->data(), at->size());
        if (!codec<position>::decode(in, p) || in.remaining() != 0 || p.second == 0) {
          error_ = status(errc::invalid_argument, "malformed generator split '" + s.id + "'");
          continue;
        }
        ranges_.push_back({std::move(s.id), p.first, p.second, false, false});
      }
    }
    void no_more_splits() override { no_more_ = true; }

    status poll(size_t max_records, collector<T>& out, bool& end) override {
      if (!error_.ok()) return error_;
      size_t n = 0;
      for (auto& r : ranges_)
        if (!r.done && r.next >= count_) finish(r, out);
      while (n < max_records && open_ranges() > 0) {
        // The range with the smallest next index emits until it passes the
        // second smallest (with one range: until done or max_records).
        size_t lo = ranges_.size();
        uint64_t bound = UINT64_MAX;
        for (size_t i = 0; i < ranges_.size(); ++i) {
          const auto& r = ranges_[i];
          if (r.done) continue;
          if (lo == ranges_.size() || r.next < ranges_[lo].next) {
            if (lo != ranges_.size()) bound = ranges_[lo].next;
            lo = i;
          } else if (r.next < bound) {
            bound = r.next;
          }
        }
        auto& r = ranges_[lo];
        if (named_ != lo) {
          out.split(r.id);
          named_ = lo;
        }
        while (n < max_records && r.next <= bound) {
          out.emit(make_(r.next));
          ++n;
          if (count_ - r.next <= r.stride) {  // r.next + r.stride >= count_, without overflow
            r.next = count_;
            finish(r, out);
            break;
          }
          r.next += r.stride;
        }
      }
      end = no_more_ && open_ranges() == 0;
      return {};
    }

    void positions(std::vector<std::string>& out) const override {
      for (const auto& r : ranges_)
        out.push_back(encode_split_position(r.id, encode(position{r.next, r.stride})));
    }

    status restore(const std::vector<std::string>& entries, const subtask_info& info) override {
      (void)info;
      restored_.clear();
      for (const auto& e : entries) {
        std::string id, at;
        if (!decode_split_position(e, id, at))
          return status(errc::io_error, "malformed generator position");
        for (const auto& r : restored_)
          if (r.first == id)
            return status(errc::io_error, "two positions for generator split '" + id +
                                              "' in the snapshot (a snapshot given twice?)");
        restored_.emplace_back(std::move(id), std::move(at));
      }
      return {};
    }

   private:
    struct range {
      std::string id;
      uint64_t next;
      uint64_t stride;  // >= 1
      bool done;
      bool finished_told;
    };
    void finish(range& r, collector<T>& out) {
      r.done = true;
      if (!r.finished_told) out.split_finished(r.id);
      r.finished_told = true;
    }
    size_t open_ranges() const {
      size_t n = 0;
      for (const auto& r : ranges_) n += r.done ? 0 : 1;
      return n;
    }

    uint64_t count_;
    function<T(uint64_t)> make_;
    std::vector<range> ranges_;  // every split given, finished ones included
    size_t named_ = SIZE_MAX;    // the range out.split() named last
    std::vector<std::pair<std::string, std::string>> restored_;  // split id, position
    bool no_more_ = false;
    status error_;
  };

  uint64_t count_;
  function<T(uint64_t)> make_;
};

}  // namespace nagare
