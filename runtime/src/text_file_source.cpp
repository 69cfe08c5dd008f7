// The text file source: each file a split, each line a record, the byte
// offset of the next line its replay position. A subtask reads its files
// side by side, each with its own descriptor and buffer.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "source/directory_enumerator.hpp"
#include "source/static_enumerator.hpp"

#include "nagare/source.hpp"

namespace nagare {

namespace {

// Bytes read from a file at a time: 1 MiB with one file, less with many (a
// subtask reads all of its files side by side, each with its own buffer).
constexpr size_t max_read_size = 1u << 20;
constexpr size_t min_read_size = 64u << 10;
constexpr size_t read_budget = 8u << 20;  // over all files of a subtask

class text_file_reader final : public source_reader<std::string> {
 public:
  ~text_file_reader() override {
    for (auto& s : splits_) close_file(s);
  }

  status open(const subtask_info& info) override {
    (void)info;
    return {};
  }

  void add_splits(std::vector<source_split> given) override {
    for (auto& g : given) {
      auto r = restored_.find(g.id);
      const std::string& at = r != restored_.end() ? r->second : g.start;
      position p;
      byte_reader in(at.data(), at.size());
      if (!codec<position>::decode(in, p) || in.remaining() != 0) {
        error_ = status::invalid_argument("malformed text file split '" + g.id + "'");
        continue;
      }
      split s;
      if (g.end) {  // the byte offset it stops at, in the codec of uint64_t
        uint64_t end_offset = 0;
        byte_reader e(g.end->data(), g.end->size());
        if (!codec<uint64_t>::decode(e, end_offset) || e.remaining() != 0) {
          error_ = status::invalid_argument("malformed end of text file split '" + g.id + "'");
          continue;
        }
        s.end = end_offset;
      }
      s.name = std::move(g.id);
      s.path = std::move(p.first);
      s.offset = p.second;
      splits_.push_back(std::move(s));
      ++open_;
    }
    read_size_ = splits_.empty()
                     ? max_read_size
                     : std::clamp(read_budget / splits_.size(), min_read_size, max_read_size);
  }
  void no_more_splits() override { no_more_ = true; }

  void positions(std::vector<std::string>& out) const override {
    for (const auto& s : splits_)
      out.push_back(encode_split_position(s.name, encode(position{s.path, s.offset})));
  }

  // Remembers the positions by split id; add_splits() uses them.
  status restore(const std::vector<std::string>& entries, const subtask_info& info) override {
    (void)info;
    restored_.clear();
    for (const auto& e : entries) {
      std::string id, at;
      if (!decode_split_position(e, id, at))
        return status::io_error("malformed text file source position");
      if (!restored_.emplace(id, std::move(at)).second)
        return status::io_error("two positions for input file split '" + id + "' in the snapshot");
    }
    return {};
  }

  // Round-robin over the files not yet finished, an equal share of
  // `max_records` lines from each in turn (at least one), each file in order.
  status poll(size_t max_records, collector<std::string>& out, bool& end) override {
    if (!error_.ok()) return error_;
    size_t emitted = 0;
    const size_t share =
        std::max<size_t>(1, (max_records + open_ - 1) / std::max<size_t>(1, open_));
    while (emitted < max_records && open_ > 0) {
      auto& s = splits_[current_];
      current_ = current_ + 1 == splits_.size() ? 0 : current_ + 1;
      if (s.done) continue;
      out.split(s.name);
      size_t n = 0;
      reading_ = &s;
      auto st = read_lines(s, std::min(share, max_records - emitted), out, n);
      reading_ = nullptr;
      emitted += n;
      if (!st.ok()) return st;
      if (s.done) {
        out.split_finished(s.name);
        --open_;
      }
    }
    end = no_more_ && open_ == 0;
    return {};
  }

  status close() override {
    for (auto& s : splits_) close_file(s);
    return {};
  }

  // The split being read and the byte offset of the line being emitted.
  record_origin origin() const override {
    if (!reading_) return {};
    return {reading_->name, reading_->line_start};
  }

 private:
  struct split {
    std::string path;
    std::string name;             // the split's id
    uint64_t offset;              // byte offset of the next unread line
    std::optional<uint64_t> end;  // stop at this offset
    uint64_t line_start = 0;      // byte offset of the line emitted last
    int fd = -1;
    std::string buf;  // buf[0, len): bytes read from offset on (its size only grows:
    size_t len = 0;   // resizing it for every block would zero the block first)
    size_t pos = 0;   // buf[pos, len) not emitted yet
    bool done = false;
  };
  // A split's position: path, offset.
  using position = std::pair<std::string, uint64_t>;

  status open_file(split& s) {
    s.fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (s.fd < 0)
      return status::io_error("cannot open input file '" + s.path + "': " + std::strerror(errno));
    if (s.offset > 0) {
      struct stat st {};
      if (::fstat(s.fd, &st) != 0)
        return status::io_error("cannot stat '" + s.path + "': " + std::strerror(errno));
      if (static_cast<uint64_t>(st.st_size) < s.offset)
        return status::invalid_argument(
            "input file '" + s.path + "' is shorter (" + std::to_string(st.st_size) +
            " bytes) than its replay position (" + std::to_string(s.offset) + "): was it changed?");
      if (::lseek(s.fd, static_cast<off_t>(s.offset), SEEK_SET) < 0)
        return status::io_error("cannot seek in '" + s.path + "': " + std::strerror(errno));
    }
    s.len = 0;
    s.pos = 0;
    return {};
  }

  // Emits up to `want` lines of split `s` (fewer only at its end, which
  // sets s.done); `n` counts them.
  status read_lines(split& s, size_t want, collector<std::string>& out, size_t& n) {
    if (s.fd < 0) {
      auto st = open_file(s);
      if (!st.ok()) return st;
    }
    while (n < want) {
      // Emit the complete lines in the buffer.
      while (n < want) {
        auto* nl =
            static_cast<const char*>(std::memchr(s.buf.data() + s.pos, '\n', s.len - s.pos));
        if (!nl) break;
        auto at = static_cast<size_t>(nl - s.buf.data());
        if (s.end && s.offset >= *s.end) break;
        emit_line(s, s.pos, at, true, out);
        s.pos = at + 1;
        ++n;
      }
      if (s.end && s.offset >= *s.end) {  // reached its end position
        close_file(s);
        std::string().swap(s.buf);
        s.len = s.pos = 0;
        s.done = true;
        break;
      }
      if (n == want) break;
      // Need more bytes: keep the partial line, read the next block.
      std::memmove(s.buf.data(), s.buf.data() + s.pos, s.len - s.pos);
      s.len -= s.pos;
      s.pos = 0;
      if (s.buf.size() < s.len + read_size_) s.buf.resize(s.len + read_size_);
      auto got = ::read(s.fd, s.buf.data() + s.len, read_size_);
      if (got < 0) {
        if (errno == EINTR) continue;
        return status::io_error("cannot read '" + s.path + "': " + std::strerror(errno));
      }
      s.len += static_cast<size_t>(got);
      if (got == 0) {  // end of file: a last line without "\n" is a record too
        if (s.len > 0) {
          emit_line(s, 0, s.len, false, out);
          ++n;
        }
        close_file(s);
        std::string().swap(s.buf);
        s.len = s.pos = 0;
        s.done = true;
        break;
      }
    }
    return {};
  }

  // Emits s.buf[begin, end) and advances the split's offset past it (and its "\n").
  void emit_line(split& s, size_t begin, size_t end, bool newline, collector<std::string>& out) {
    s.line_start = s.offset;
    s.offset += end - begin + (newline ? 1 : 0);
    auto len = end - begin;
    if (len > 0 && s.buf[begin + len - 1] == '\r') --len;
    line_.assign(s.buf.data() + begin, len);
    out.emit_from(line_);
  }

  static void close_file(split& s) {
    if (s.fd >= 0) ::close(s.fd);
    s.fd = -1;
  }

  std::vector<split> splits_;
  std::map<std::string, std::string> restored_;  // split id -> position (restore())
  bool no_more_ = false;
  status error_;                    // a malformed split: fails the next poll
  size_t open_ = 0;                 // splits not done
  size_t current_ = 0;              // the split whose turn is next
  const split* reading_ = nullptr;  // the split poll() is reading, for origin()
  size_t read_size_ = max_read_size;
  std::string line_;  // the line being emitted (its capacity kept from line to line)
};

}  // namespace

status text_file_source::validate() const {
  if (!dir_.empty()) {
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0)
      return status::not_found("input directory '" + dir_ + "': " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode))
      return status::invalid_argument("input '" + dir_ + "' is not a directory");
    return {};
  }
  if (paths_.empty()) return status::invalid_argument("text file source has no input files");
  for (const auto& p : paths_) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      return status::not_found("input file '" + p + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
      return status::invalid_argument("input '" + p + "' is not a regular file");
    if (::access(p.c_str(), R_OK) != 0)
      return status::io_error("input file '" + p + "' is not readable: " + std::strerror(errno));
  }
  return {};
}

owned<source_reader<std::string>> text_file_source::create() const {
  return make_owned<text_file_reader>();
}

enumerator_spec text_file_source::enumerator(uint32_t parallelism) const {
  (void)parallelism;
  if (!dir_.empty())
    return {"directory", directory_enumerator_config(dir_, bounded_), interval_ms_, bounded_};
  std::vector<source_split> splits;
  for (size_t i = 0; i < paths_.size(); ++i)
    splits.push_back({std::to_string(i) + " " + paths_[i],
                      encode(std::pair<std::string, uint64_t>(paths_[i], 0)), std::nullopt});
  return {"static", static_enumerator_config(splits), 0, true};
}

}  // namespace nagare
