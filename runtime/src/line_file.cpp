// File and stdout output used by the built-in sinks.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "nagare/sink.hpp"

namespace nagare::detail {

namespace {

std::string errno_text() { return std::strerror(errno); }

status write_all(int fd, const char* p, size_t n, const std::string& what) {
  while (n > 0) {
    auto w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return status::io_error("cannot write " + what + ": " + errno_text());
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

status make_dirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    auto prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return status::io_error("cannot create output directory '" + dir + "': " + errno_text());
  }
  return {};
}

}  // namespace

line_file::~line_file() {
  if (fd_ >= 0) ::close(fd_);
}

status line_file::open(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    auto st = make_dirs(path.substr(0, slash));
    if (!st.ok()) return st;
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return status::io_error("cannot open output file '" + path + "': " + errno_text());
  path_ = path;
  buf_.reserve(1u << 20);
  return {};
}

status line_file::write_buffer() {
  auto st = write_all(fd_, buf_.data(), buf_.size(), "'" + path_ + "'");
  buf_.clear();
  return st;
}

status line_file::close() {
  if (fd_ < 0) return {};
  auto st = write_buffer();
  if (st.ok() && ::fsync(fd_) != 0)
    st = status::io_error("cannot sync '" + path_ + "': " + errno_text());
  if (::close(fd_) != 0 && st.ok())
    st = status::io_error("cannot close '" + path_ + "': " + errno_text());
  fd_ = -1;
  return st;
}

status write_stdout(const std::string& text) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  return write_all(STDOUT_FILENO, text.data(), text.size(), "standard output");
}

status write_stderr(const std::string& text) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  return write_all(STDERR_FILENO, text.data(), text.size(), "standard error");
}

status prepare_output_dir(const std::string& dir) {
  if (dir.empty()) return status::invalid_argument("output directory is empty");
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
    return status::io_error("output path '" + dir + "' exists and is not a directory");
  auto made = make_dirs(dir);
  if (!made.ok()) return made;
  // Writability as the process really sees it (root ignores modes, not read-only mounts).
  auto probe = dir + "/.nagare-probe-" + std::to_string(::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return status::io_error("output directory '" + dir + "' is not writable: " + errno_text());
  ::close(fd);
  ::unlink(probe.c_str());
  DIR* d = ::opendir(dir.c_str());
  if (!d) return status::io_error("cannot list output directory '" + dir + "': " + errno_text());
  std::string existing;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
    existing = e->d_name;
    break;
  }
  ::closedir(d);
  if (!existing.empty())
    return status::io_error("output directory '" + dir + "' already holds results ('" + existing +
                            "'); remove them or choose another directory");
  return {};
}

}  // namespace nagare::detail
