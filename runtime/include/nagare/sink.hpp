// Sinks. A sink descriptor creates one sink<T> per sink subtask.
//
// Descriptor contract (any type with):
//   using record_type = T;
//   std::string name() const;
//   nagare::status validate() const;       // checked before the job starts
//   owned<sink<T>> create() const;
// and optionally
//   nagare::delivery_guarantee guarantee() const;  // default at_least_once
//                                                  // (nagare/delivery_guarantee.hpp)
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/delivery_guarantee.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/function.hpp"
#include "nagare/owned.hpp"
#include "nagare/status.hpp"

namespace nagare {

// One subtask's writer. Called from the task's thread only, in the order
//   open -> recover -> (write | pre_commit | pending | commit)* -> close.
//
// Exactly-once sinks implement two-phase commit with the checkpoint protocol:
// pre_commit(id) at checkpoint id's barrier seals what was written since the
// previous barrier as a transaction; pending() describes the sealed but not
// yet committed transactions (the sink's snapshot); commit(id) makes the
// transactions of id and earlier visible once the checkpoint is complete; and
// recover() commits the transactions of the checkpoint a job restarts from and
// discards everything else earlier attempts left. The defaults suit a sink
// without transactions (stdout): it is at-least-once across failures.
template <class T>
class sink {
 public:
  virtual ~sink() = default;
  virtual status open(const subtask_info& info) = 0;
  virtual status write(const T& record) = 0;
  // The job ended or stopped: release files and connections. What is still
  // uncommitted stays pending (a final checkpoint commits a finished job's).
  virtual status close() = 0;

  virtual status pre_commit(uint64_t checkpoint) {
    (void)checkpoint;
    return {};
  }
  // One self-contained entry per pending transaction.
  virtual void pending(std::vector<std::string>& out) const { (void)out; }
  virtual status commit(uint64_t checkpoint) {
    (void)checkpoint;
    return {};
  }
  // `entries`: the pending() of every subtask of the run restored from (at
  // checkpoint info.restored_checkpoint), which had `previous_parallelism`
  // subtasks (0 and no entries when the job starts from the beginning). Each
  // subtask gets all entries and commits its share; together they commit each
  // once (committing must be idempotent: an earlier attempt may have done it).
  virtual status recover(const std::vector<std::string>& entries, uint32_t previous_parallelism,
                         const subtask_info& info) {
    (void)previous_parallelism;
    (void)info;
    if (!entries.empty())
      return status(errc::invalid_argument,
                    "snapshot holds transactions for a sink that keeps none");
    return {};
  }
};

namespace detail {

// Whether a sink descriptor declares its delivery guarantee.
template <class S, class = void>
struct declares_guarantee : std::false_type {};
template <class S>
struct declares_guarantee<S, std::void_t<decltype(std::declval<const S&>().guarantee())>>
    : std::true_type {};

}  // namespace detail

// format_record: the text of a record in file and stdout sinks. Strings as
// they are, numbers in decimal, pairs and tuples tab-separated.
inline void format_record(const std::string& s, std::string& out) { out += s; }
template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
void format_record(T v, std::string& out) {
  out += std::to_string(v);
}
template <class A, class B>
void format_record(const std::pair<A, B>& p, std::string& out) {
  format_record(p.first, out);
  out += '\t';
  format_record(p.second, out);
}
template <class T>
using formatter = function<void(const T&, std::string&)>;

template <class T>
formatter<T> default_formatter() {
  return [](const T& r, std::string& out) { format_record(r, out); };
}

namespace detail {

// Appends text to a file through a large buffer. Not thread-safe.
class line_file {
 public:
  line_file() = default;
  line_file(const line_file&) = delete;
  line_file& operator=(const line_file&) = delete;
  ~line_file();
  status open(const std::string& path);
  bool is_open() const { return fd_ >= 0; }
  std::string& buffer() { return buf_; }
  // Writes the buffer out when it is large; call after appending.
  status maybe_write() { return buf_.size() >= (1u << 20) ? write_buffer() : status{}; }
  status write_buffer();
  status close();  // writes, fsyncs and closes

 private:
  int fd_ = -1;
  std::string path_;
  std::string buf_;
};

// Text written to standard output, a buffer at a time, never interleaved.
status write_stdout(const std::string& text);
// The same on standard error.
status write_stderr(const std::string& text);

// Creates `dir` if needed; an error if it is not a writable directory or
// already holds results (files not starting with '.' or '_').
status prepare_output_dir(const std::string& dir);

// The files of one file_sink subtask under two-phase commit (the layout is in
// file_sink's comment; the code in file_sink.cpp). It owns its in-progress
// file and its pending transactions. Not thread-safe: the sink's task only,
// in the order of sink<T>.
class part_writer {
 public:
  explicit part_writer(std::string dir) : dir_(std::move(dir)) {}
  part_writer(const part_writer&) = delete;
  part_writer& operator=(const part_writer&) = delete;

  status open(const subtask_info& info);
  // Opens a new in-progress file unless one is open; call before appending.
  status begin() { return file_.is_open() ? status{} : start_file(); }
  // The in-progress file's buffer. REQUIRES: begin() succeeded.
  std::string& buffer() { return file_.buffer(); }
  status maybe_write() { return file_.maybe_write(); }
  status pre_commit(uint64_t checkpoint);
  void pending(std::vector<std::string>& out) const;
  status commit(uint64_t checkpoint);
  status recover(const std::vector<std::string>& entries, const subtask_info& info);
  status close();

 private:
  struct transaction {
    uint32_t subtask;
    uint64_t checkpoint;
    std::string pending_path;
    std::string final_path;
  };
  status start_file();
  // Removes the work files this subtask answers for that other writers left
  // (an attempt aborted by a full disk, a job that failed for good): after
  // this writer's first commit nothing else can need them.
  status sweep_strays();

  std::string dir_;
  uint32_t subtask_ = 0;
  uint32_t parallelism_ = 1;
  bool swept_ = false;
  std::string tag_;     // unique per writer object: attempt, pid, random token
  uint64_t files_ = 0;  // in-progress files started, for their names
  line_file file_;
  std::string file_path_;
  std::vector<transaction> pending_;  // pre-committed, not yet committed, by checkpoint
};

}  // namespace detail

// One text file per sink subtask and checkpoint, one line per record, written
// exactly once across failures by two-phase commit with the checkpoints.
//
// Layout of DIR (names starting with '_' or '.' are never results):
//   DIR/_nagare/part-SSSSS.<tag>.<n>.inprogress    written since the last barrier
//   DIR/_nagare/part-SSSSS-CCCCCCCCCC.<tag>.pending  sealed by checkpoint C's barrier
//   DIR/part-SSSSS-CCCCCCCCCC                      committed: checkpoint C completed
// S is the writing subtask and C the checkpoint id, zero-padded; <tag> is
// "a<attempt>-<pid>-<random hex>", unique per writer object, so that a
// lingering task of an earlier attempt never writes to a name of a later one.
//
// A transaction (the sink's snapshot entry) is (writer subtask, checkpoint,
// pending path, final path) in the codec of
// std::tuple<uint32_t, uint64_t, std::string, std::string>. Committing
// renames the pending file to its final name and syncs DIR; a missing pending
// file whose final file exists was committed before (idempotent). On
// recovery from checkpoint R, the files of old subtask p are the
// responsibility of new subtask p % parallelism, which commits p's
// transactions and deletes p's in-progress and other pending files and its
// visible files of checkpoints after R (rolled back: the replay writes them
// again under new checkpoint ids).
template <class T>
class file_sink {
 public:
  using record_type = T;
  explicit file_sink(std::string dir, formatter<T> fmt = default_formatter<T>())
      : dir_(std::move(dir)), fmt_(std::move(fmt)) {}
  std::string name() const { return "file sink"; }
  // Two-phase commit with the checkpoints.
  delivery_guarantee guarantee() const { return delivery_guarantee::exactly_once; }
  status validate() const { return detail::prepare_output_dir(dir_); }
  owned<sink<T>> create() const { return make_owned<writer>(dir_, fmt_); }

 private:
  class writer final : public sink<T> {
   public:
    writer(std::string dir, formatter<T> fmt) : files_(std::move(dir)), fmt_(std::move(fmt)) {}
    status open(const subtask_info& info) override { return files_.open(info); }
    status write(const T& record) override {
      if (auto st = files_.begin(); !st.ok()) return st;
      fmt_(record, files_.buffer());
      files_.buffer() += '\n';
      return files_.maybe_write();
    }
    status close() override { return files_.close(); }
    status pre_commit(uint64_t checkpoint) override { return files_.pre_commit(checkpoint); }
    void pending(std::vector<std::string>& out) const override { files_.pending(out); }
    status commit(uint64_t checkpoint) override { return files_.commit(checkpoint); }
    status recover(const std::vector<std::string>& entries, uint32_t previous_parallelism,
                   const subtask_info& info) override {
      (void)previous_parallelism;  // the entries and file names name their subtasks
      return files_.recover(entries, info);
    }

   private:
    detail::part_writer files_;
    formatter<T> fmt_;
  };

  std::string dir_;
  formatter<T> fmt_;
};

namespace detail {

// Lines on standard output or error; subtasks write whole buffers, never
// parts of lines.
template <class T>
class stream_sink {
 public:
  using record_type = T;
  stream_sink(formatter<T> fmt, bool to_stderr) : fmt_(std::move(fmt)), stderr_(to_stderr) {}
  std::string name() const { return stderr_ ? "stderr sink" : "stdout sink"; }
  // Written at once: a restore writes replayed records again.
  delivery_guarantee guarantee() const { return delivery_guarantee::at_least_once; }
  status validate() const { return {}; }
  owned<sink<T>> create() const { return make_owned<writer>(fmt_, stderr_); }

 private:
  class writer final : public sink<T> {
   public:
    writer(formatter<T> fmt, bool to_stderr) : fmt_(std::move(fmt)), stderr_(to_stderr) {}
    status open(const subtask_info&) override { return {}; }
    status write(const T& record) override {
      fmt_(record, buf_);
      buf_ += '\n';
      return buf_.size() >= (64u << 10) ? flush() : status{};
    }
    status close() override { return flush(); }

   private:
    status flush() {
      auto st = stderr_ ? write_stderr(buf_) : write_stdout(buf_);
      buf_.clear();
      return st;
    }
    formatter<T> fmt_;
    bool stderr_;
    std::string buf_;
  };

  formatter<T> fmt_;
  bool stderr_;
};

}  // namespace detail

template <class T>
class stdout_sink : public detail::stream_sink<T> {
 public:
  explicit stdout_sink(formatter<T> fmt = default_formatter<T>())
      : detail::stream_sink<T>(std::move(fmt), false) {}
};

template <class T>
class stderr_sink : public detail::stream_sink<T> {
 public:
  explicit stderr_sink(formatter<T> fmt = default_formatter<T>())
      : detail::stream_sink<T>(std::move(fmt), true) {}
};

}  // namespace nagare
