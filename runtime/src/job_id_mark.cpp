#include "job_id_mark.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace nagare {

namespace {

status io_failure(const std::string& what, const std::string& path) {
  return status::io_error("cannot " + what + " the job id mark '" + path +
                          "': " + std::strerror(errno));
}

}  // namespace

result<uint64_t> job_id_mark::read() const {
  if (path_.empty()) return memory_;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return uint64_t{0};
    return io_failure("read", path_);
  }
  char buf[32];
  ssize_t n = 0;
  do n = ::read(fd, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  auto read_errno = errno;
  ::close(fd);
  if (n < 0) {
    errno = read_errno;
    return io_failure("read", path_);
  }
  // Digits (no leading zero, at most 20 of them), then exactly one newline.
  auto damaged = status(errc::corruption, "the job id mark '" + path_ +
                                              "' is damaged (it should hold one decimal job id)");
  size_t size = static_cast<size_t>(n);
  if (size < 2 || size > 21 || buf[size - 1] != '\n' || buf[0] == '0') return damaged;
  uint64_t id = 0;
  for (size_t i = 0; i + 1 < size; ++i) {
    if (buf[i] < '0' || buf[i] > '9') return damaged;
    uint64_t digit = static_cast<uint64_t>(buf[i] - '0');
    if (id > (UINT64_MAX - digit) / 10) return damaged;
    id = id * 10 + digit;
  }
  return id;
}

status job_id_mark::raise_to(uint64_t id) {
  if (!path_.empty() && !read_once_) {
    // A damaged file counts as no mark: this write repairs it.
    auto current = read();
    if (current.ok()) memory_ = current.value();
    read_once_ = true;
  }
  if (id <= memory_) return {};
  if (path_.empty()) {
    memory_ = id;
    return {};
  }
  auto text = std::to_string(id) + "\n";
  auto tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_failure("write", tmp);
  ssize_t n = 0;
  do n = ::write(fd, text.data(), text.size());
  while (n < 0 && errno == EINTR);
  bool written = n == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  auto write_errno = errno;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    if (!written) errno = write_errno;
    auto failure = io_failure("write", path_);
    ::unlink(tmp.c_str());
    return failure;
  }
  // The rename itself lasts once the directory is synced.
  auto dir = std::filesystem::path(path_).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  memory_ = id;
  return {};
}

}  // namespace nagare
