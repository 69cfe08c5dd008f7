#include "pread_env.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace nagare {

namespace {

class pread_file final : public leveldb::RandomAccessFile {
 public:
  pread_file(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~pread_file() override { ::close(fd_); }
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      auto r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        *result = leveldb::Slice(scratch, 0);
        return leveldb::Status::IOError(name_, std::strerror(errno));
      }
      if (r == 0) break;  // end of file: a short read
      done += static_cast<size_t>(r);
    }
    *result = leveldb::Slice(scratch, done);
    return leveldb::Status::OK();
  }

 private:
  std::string name_;
  int fd_;
};

// The default environment, with table files read through pread_file.
class pread_file_env final : public leveldb::EnvWrapper {
 public:
  pread_file_env() : EnvWrapper(leveldb::Env::Default()) {}
  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** result) override {
    int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *result = nullptr;
      return errno == ENOENT ? leveldb::Status::NotFound(name, std::strerror(errno))
                             : leveldb::Status::IOError(name, std::strerror(errno));
    }
    *result = new pread_file(name, fd);
    return leveldb::Status::OK();
  }
};

}  // namespace

leveldb::Env* pread_env() {
  static auto* env = new pread_file_env;  // never destroyed: LevelDB's threads may use it at exit
  return env;
}

}  // namespace nagare
