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

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nagare/collector.hpp"
#include "nagare/status.hpp"

namespace nagare {

template <class T>
class source_reader {
 public:
  virtual ~source_reader() = default;
  virtual status open(const subtask_info& info) = 0;
  // Emits at most `max_records` records; sets `end` once every split of this
  // subtask is exhausted. An error fails the task.
  virtual status poll(size_t max_records, collector<T>& out, bool& end) = 0;
  virtual status close() { return {}; }
};

// Lines of text files. Each file is one split; split i is read by subtask
// i % parallelism. A line is a record without its "\n" (and "\r"); the replay
// position of a split is the byte offset of its next line.
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

// A deterministic generator: record i is make(i) for i in [0, count). Subtask
// s of p produces the indices s, s + p, s + 2p, ...; its position is the next
// index. The same count and function give the same records in every run.
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
  class reader final : public source_reader<T> {
   public:
    reader(uint64_t count, std::function<T(uint64_t)> make)
        : count_(count), make_(std::move(make)) {}
    status open(const subtask_info& info) override {
      next_ = info.subtask;
      stride_ = info.parallelism;
      return {};
    }
    status poll(size_t max_records, collector<T>& out, bool& end) override {
      for (size_t n = 0; n < max_records && next_ < count_; ++n, next_ += stride_)
        out.emit(make_(next_));
      end = next_ >= count_;
      return {};
    }

   private:
    uint64_t count_;
    std::function<T(uint64_t)> make_;
    uint64_t next_ = 0;
    uint64_t stride_ = 1;
  };

  uint64_t count_;
  std::function<T(uint64_t)> make_;
};

}  // namespace nagare
