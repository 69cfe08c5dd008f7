// The text file source: each file a split, each line a record, the byte
// offset of the next line its replay position.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <tuple>

#include "nagare/source.hpp"

namespace nagare {

namespace {

constexpr size_t read_size = 1u << 20;

class text_file_reader final : public source_reader<std::string> {
 public:
  explicit text_file_reader(std::vector<std::string> paths) : all_(std::move(paths)) {}
  ~text_file_reader() override { close_file(); }

  status open(const subtask_info& info) override {
    splits_.clear();
    for (size_t i = info.subtask; i < all_.size(); i += info.parallelism)
      splits_.push_back({i, all_[i], 0});
    return {};
  }

  void positions(std::vector<std::string>& out) const override {
    for (const auto& s : splits_) out.push_back(encode(position{s.index, s.path, s.offset}));
  }

  // Every split must have exactly one position, for the same file at the
  // same index; this subtask then takes its splits as open() does.
  status restore(const std::vector<std::string>& entries, const subtask_info& info) override {
    std::vector<uint64_t> offsets(all_.size());
    std::vector<bool> seen(all_.size());
    for (const auto& e : entries) {
      position p;
      byte_reader in(e.data(), e.size());
      if (!codec<position>::decode(in, p) || in.remaining() != 0)
        return status::io_error("malformed text file source position");
      auto& [index, path, offset] = p;
      if (index >= all_.size() || all_[index] != path)
        return status::invalid_argument("the input files changed since the snapshot: it has a " +
                                        std::string("position for '") + path + "' as file " +
                                        std::to_string(index + 1) + " of " +
                                        std::to_string(all_.size()));
      if (seen[index])
        return status::io_error("two positions for input file '" + path + "' in the snapshot");
      seen[index] = true;
      offsets[index] = offset;
    }
    for (size_t i = 0; i < all_.size(); ++i)
      if (!seen[i])
        return status::invalid_argument("the snapshot has no position for input file '" + all_[i] +
                                        "'");
    splits_.clear();
    current_ = 0;
    for (size_t i = info.subtask; i < all_.size(); i += info.parallelism)
      splits_.push_back({i, all_[i], offsets[i]});
    return {};
  }

  status poll(size_t max_records, collector<std::string>& out, bool& end) override {
    size_t emitted = 0;
    while (emitted < max_records && current_ < splits_.size()) {
      if (fd_ < 0) {
        auto st = open_split();
        if (!st.ok()) return st;
      }
      // Emit the complete lines in the buffer.
      while (emitted < max_records) {
        auto* nl =
            static_cast<const char*>(std::memchr(buf_.data() + pos_, '\n', buf_.size() - pos_));
        if (!nl) break;
        emit_line(pos_, static_cast<size_t>(nl - buf_.data()), true, out);
        pos_ = static_cast<size_t>(nl - buf_.data()) + 1;
        ++emitted;
      }
      if (emitted == max_records) break;
      // Need more bytes: keep the partial line, read the next block.
      buf_.erase(0, pos_);
      pos_ = 0;
      auto old = buf_.size();
      buf_.resize(old + read_size);
      auto n = ::read(fd_, buf_.data() + old, read_size);
      if (n < 0) {
        if (errno == EINTR) {
          buf_.resize(old);
          continue;
        }
        return status::io_error("cannot read '" + splits_[current_].path +
                                "': " + std::strerror(errno));
      }
      buf_.resize(old + static_cast<size_t>(n));
      if (n == 0) {  // end of file: a last line without "\n" is a record too
        if (!buf_.empty()) {
          emit_line(0, buf_.size(), false, out);
          ++emitted;
        }
        close_file();
        ++current_;
      }
    }
    end = current_ >= splits_.size();
    return {};
  }

  status close() override {
    close_file();
    return {};
  }

 private:
  struct split {
    size_t index;  // in all_
    std::string path;
    uint64_t offset;  // byte offset of the next unread line
  };
  // A split's replay position: index, path, offset.
  using position = std::tuple<uint64_t, std::string, uint64_t>;

  status open_split() {
    auto& s = splits_[current_];
    fd_ = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
      return status::io_error("cannot open input file '" + s.path + "': " + std::strerror(errno));
    if (s.offset > 0) {
      struct stat st {};
      if (::fstat(fd_, &st) != 0)
        return status::io_error("cannot stat '" + s.path + "': " + std::strerror(errno));
      if (static_cast<uint64_t>(st.st_size) < s.offset)
        return status::invalid_argument(
            "input file '" + s.path + "' is shorter (" + std::to_string(st.st_size) +
            " bytes) than its replay position (" + std::to_string(s.offset) + "): was it changed?");
      if (::lseek(fd_, static_cast<off_t>(s.offset), SEEK_SET) < 0)
        return status::io_error("cannot seek in '" + s.path + "': " + std::strerror(errno));
    }
    buf_.clear();
    pos_ = 0;
    return {};
  }

  // Emits buf_[begin, end) and advances the split's offset past it (and its "\n").
  void emit_line(size_t begin, size_t end, bool newline, collector<std::string>& out) {
    splits_[current_].offset += end - begin + (newline ? 1 : 0);
    auto len = end - begin;
    if (len > 0 && buf_[begin + len - 1] == '\r') --len;
    out.emit(std::string(buf_.data() + begin, len));
  }

  void close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::vector<std::string> all_;
  std::vector<split> splits_;
  size_t current_ = 0;
  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace

status text_file_source::validate() const {
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

std::unique_ptr<source_reader<std::string>> text_file_source::create() const {
  return std::make_unique<text_file_reader>(paths_);
}

}  // namespace nagare
