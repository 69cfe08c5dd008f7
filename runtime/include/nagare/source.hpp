// Sources. A source descriptor (what the job declares) creates one reader per
// source subtask. A reader produces records when polled and keeps a replay
// position per split, so that a restored job can rewind it.
//
// Descriptor contract (any type with):
//   using record_type = T;
//   std::string name() const;                       // default operator name
//   nagare::status validate() const;                // checked before the job starts
//   std::unique_ptr<source_reader<T>> create() const;
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/collector.hpp"
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
//   open -> [restore] -> splits -> (poll | positions | prepare_checkpoint
//        | checkpoint_complete)* -> close.
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

// Lines of text files. Each file is one split; split i is read by subtask
// i % parallelism. A line is a record without its "\n" (and "\r"); the replay
// position of a split is the byte offset of its next line. A subtask reads
// its files side by side: each poll takes a share of its records from every
// file not yet finished, round-robin, each file in order (so the watermarks
// of the files progress together). A split is named "<index> <path>"
// (index in the source's file list, from 0). A position entry
// is (split index, path, offset) in the codec of
// std::tuple<uint64_t, std::string, uint64_t>; a restore deals the splits out
// as open() does and seeks each to its offset. The files must be the same,
// in the same order, and not shorter than their positions.
class text_file_source {
 public:
  using record_type = std::string;
  explicit text_file_source(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  std::string name() const { return "text file source"; }
  status validate() const;
  std::unique_ptr<source_reader<std::string>> create() const;

 private:
  std::vector<std::string> paths_;
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
  const uint64_t g = std::gcd(a, uint64_t{q});  // gcd(0, q) == q
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

// A deterministic generator: record i is make(i) for i in [0, count). Subtask
// s of p produces the indices s, s + p, s + 2p, ... in increasing order. The
// same count and function give the same records in every run.
//
// Its position is the set of indices still to emit, as progressions
// (next, stride): one per subtask after open(), one entry each in the codec
// of std::pair<uint64_t, uint64_t>. A restore with parallelism q gives
// subtask s the indices of every recorded progression that are congruent to s
// modulo q (detail::restrict_to_residue). The residues modulo q partition the
// indices, so every index not yet emitted goes to exactly one new subtask,
// and none that was emitted comes back: exactly once, at any parallelism,
// without any coordination between the new subtasks. When the old subtasks
// had progressed alike, each new one gets an equal share. A subtask with
// several progressions emits their indices merged in increasing order.
template <class T>
class generator_source {
 public:
  using record_type = T;
  generator_source(uint64_t count, std::function<T(uint64_t)> make)
      : count_(count), make_(std::move(make)) {}
  std::string name() const { return "generator source"; }
  status validate() const { return {}; }
  std::unique_ptr<source_reader<T>> create() const {
    return std::make_unique<reader>(count_, make_);
  }

 private:
  using progression = detail::index_progression;

  class reader final : public source_reader<T> {
   public:
    reader(uint64_t count, std::function<T(uint64_t)> make)
        : count_(count), make_(std::move(make)) {}

    status open(const subtask_info& info) override {
      ranges_.clear();
      if (info.subtask < count_) ranges_.push_back({info.subtask, info.parallelism});
      return {};
    }

    status poll(size_t max_records, collector<T>& out, bool& end) override {
      size_t n = 0;
      while (n < max_records && !ranges_.empty()) {
        // The range with the smallest next index emits until it passes the
        // second smallest (with one range: until done or max_records). "<="
        // keeps poll() going even if two ranges met (they never do).
        size_t lo = 0;
        uint64_t bound = std::numeric_limits<uint64_t>::max();
        for (size_t i = 1; i < ranges_.size(); ++i) {
          if (ranges_[i].next < ranges_[lo].next) {
            bound = ranges_[lo].next;
            lo = i;
          } else if (ranges_[i].next < bound) {
            bound = ranges_[i].next;
          }
        }
        auto& r = ranges_[lo];
        bool done = false;
        while (n < max_records && r.next <= bound) {
          out.emit(make_(r.next));
          ++n;
          if (count_ - r.next <= r.stride) {  // r.next + r.stride >= count_, without overflow
            done = true;
            break;
          }
          r.next += r.stride;
        }
        if (done) ranges_.erase(ranges_.begin() + static_cast<std::ptrdiff_t>(lo));
      }
      end = ranges_.empty();
      return {};
    }

    void positions(std::vector<std::string>& out) const override {
      for (const auto& r : ranges_)
        out.push_back(encode(std::pair<uint64_t, uint64_t>{r.next, r.stride}));
    }

    status restore(const std::vector<std::string>& entries, const subtask_info& info) override {
      ranges_.clear();
      for (const auto& e : entries) {
        std::pair<uint64_t, uint64_t> p;
        byte_reader in(e.data(), e.size());
        if (!codec<std::pair<uint64_t, uint64_t>>::decode(in, p) || in.remaining() != 0 ||
            p.second == 0)
          return status(errc::io_error, "malformed generator position");
        progression part;
        if (detail::restrict_to_residue({p.first, p.second}, count_, info.subtask, info.parallelism,
                                        part))
          ranges_.push_back(part);
      }
      std::sort(ranges_.begin(), ranges_.end(), [](const progression& a, const progression& b) {
        return a.next < b.next || (a.next == b.next && a.stride < b.stride);
      });
      for (size_t i = 1; i < ranges_.size(); ++i)
        if (ranges_[i].next == ranges_[i - 1].next)  // disjoint progressions never share an index
          return status(errc::io_error, "generator positions overlap (a snapshot given twice?)");
      return {};
    }

   private:
    uint64_t count_;
    std::function<T(uint64_t)> make_;
    std::vector<progression> ranges_;  // indices still to emit; none exhausted
  };

  uint64_t count_;
  std::function<T(uint64_t)> make_;
};

}  // namespace nagare
