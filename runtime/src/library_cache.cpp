#include "library_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "elf_check.hpp"
#include "library_hash.hpp"

namespace nagare {

namespace {

// The whole file, or why it cannot be read (`missing`: it does not exist).
result<std::string> read_whole(const std::string& path, bool& missing) {
  missing = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    missing = errno == ENOENT;
    return status::io_error(std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) > max_job_library_bytes) {
    ::close(fd);
    return status::io_error("not a regular file of a job library's size");
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  std::string error;
  while (done < bytes.size() && error.empty()) {
    auto n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = std::strerror(errno);
    if (n == 0) error = "it got shorter while being read";
    if (n > 0) done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (!error.empty()) return status::io_error(error);
  return bytes;
}

}  // namespace

result<job_definition> library_cache::load(const std::string& hash) {
  if (hash.rfind("linked:", 0) == 0) return load_job_library(hash);
  if (!is_library_hash(hash))
    return status::invalid_argument("'" + hash + "' is not a job library hash");
  const auto path = path_of(hash);
  auto damaged = [&](const std::string& why) {
    ::unlink(path.c_str());
    return status(errc::corruption,
                  "cached job library " + hash + " was damaged (" + why + "); deleted " + path);
  };
  bool missing = false;
  auto bytes = read_whole(path, missing);
  if (missing) return status::not_found("library " + hash + " is not cached");
  if (!bytes.ok()) return damaged("cannot read it: " + bytes.error().message());
  if (library_hash(bytes.value()) != hash)
    return damaged("its bytes do not match their SHA-256 hash");
  if (auto elf = check_elf_image(bytes.value(), path); !elf.ok()) return damaged(elf.message());
  auto i = loaded_.find(hash);
  if (i != loaded_.end()) return i->second;
  auto def = load_job_image(bytes.value(), path);
  if (def.ok()) loaded_.emplace(hash, def.value());
  return def;
}

result<job_definition> library_cache::store(const std::string& hash, const std::string& bytes) {
  if (!is_library_hash(hash))
    return status::invalid_argument("'" + hash + "' is not a job library hash");
  if (library_hash(bytes) != hash)
    return status(errc::library_error, "job library bytes do not match hash " + hash);
  if (auto elf = check_elf_image(bytes, "job library " + hash); !elf.ok()) return elf;
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST)
    return status::io_error("cannot create library cache '" + dir_ + "': " + std::strerror(errno));
  auto tmp = path_of(hash) + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (fd < 0) return status::io_error("cannot write '" + tmp + "': " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto why = std::string(std::strerror(errno));
      ::close(fd);
      ::unlink(tmp.c_str());
      return status::io_error("cannot write '" + tmp + "': " + why);
    }
    done += static_cast<size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  bool closed = ::close(fd) == 0;
  if (!synced || !closed || ::rename(tmp.c_str(), path_of(hash).c_str()) != 0) {
    auto why = std::string(std::strerror(errno));
    ::unlink(tmp.c_str());
    return status::io_error("cannot store '" + path_of(hash) + "': " + why);
  }
  auto i = loaded_.find(hash);
  if (i != loaded_.end()) return i->second;
  auto def = load_job_image(bytes, path_of(hash));
  if (def.ok()) loaded_.emplace(hash, def.value());
  return def;
}

}  // namespace nagare
