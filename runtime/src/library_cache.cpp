#include "library_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "metadata_store.hpp"

namespace nagare {

result<job_definition> library_cache::load(const std::string& hash) {
  if (hash.rfind("linked:", 0) == 0) return load_job_library(hash);
  auto i = loaded_.find(hash);
  if (i != loaded_.end()) return i->second;
  struct stat st {};
  if (::stat(path_of(hash).c_str(), &st) != 0)
    return status::not_found("library " + hash + " is not cached");
  auto def = load_job_library(path_of(hash));
  if (def.ok()) loaded_.emplace(hash, def.value());
  return def;
}

result<job_definition> library_cache::store(const std::string& hash, const std::string& bytes) {
  if (library_hash(bytes) != hash)
    return status(errc::library_error, "job library bytes do not match hash " + hash);
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
      ::close(fd);
      return status::io_error("cannot write '" + tmp + "': " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path_of(hash).c_str()) != 0)
    return status::io_error("cannot store '" + path_of(hash) + "': " + std::strerror(errno));
  return load(hash);
}

}  // namespace nagare
