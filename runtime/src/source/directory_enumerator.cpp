#include "directory_enumerator.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

namespace nagare {

namespace {

// The regular files of `dir` not ignored, as full paths, sorted.
result<std::vector<std::string>> list_files(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return status::io_error("cannot list directory '" + dir + "': " + std::strerror(errno));
  std::vector<std::string> out;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name[0] == '.' || name[0] == '_') continue;
    auto path = dir + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back(std::move(path));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

class directory_enumerator final : public split_enumerator {
 public:
  directory_enumerator(std::string dir, bool bounded) : dir_(std::move(dir)), bounded_(bounded) {}

  result<std::vector<source_split>> discover() override {
    std::vector<source_split> out(known_.begin() + static_cast<std::ptrdiff_t>(handed_out_),
                                  known_.end());
    handed_out_ = known_.size();
    if (finished_) return out;
    auto files = list_files(dir_);
    if (!files.ok()) {
      handed_out_ -= out.size();  // as it was: returned again next time
      return files.error();
    }
    for (auto& path : files.value()) {
      if (ids_.count(path)) continue;
      ids_.insert(path);
      source_split s;
      s.id = path;
      s.start = encode(std::pair<std::string, uint64_t>(path, 0));
      known_.push_back(s);
      out.push_back(std::move(s));
    }
    handed_out_ = known_.size();
    if (bounded_) finished_ = true;
    return out;
  }
  bool discovery_finished() const override { return finished_; }
  std::string snapshot() const override {
    std::vector<source_split> handed(known_.begin(),
                                     known_.begin() + static_cast<std::ptrdiff_t>(handed_out_));
    return encode(std::pair<std::vector<source_split>, bool>(handed, finished_));
  }
  status restore(const std::string& snapshot) override {
    std::pair<std::vector<source_split>, bool> s;
    byte_reader in(snapshot.data(), snapshot.size());
    if (!codec<decltype(s)>::decode(in, s) || in.remaining() != 0)
      return status::io_error("malformed snapshot of a directory split enumerator");
    known_ = std::move(s.first);
    finished_ = s.second;
    ids_.clear();
    for (const auto& k : known_) ids_.insert(k.id);
    handed_out_ = 0;
    return {};
  }

 private:
  std::string dir_;
  bool bounded_;
  std::vector<source_split> known_;  // discovery order
  std::set<std::string> ids_;
  size_t handed_out_ = 0;  // known_[0, handed_out_) were returned by discover()
  bool finished_ = false;
};

}  // namespace

std::string directory_enumerator_config(const std::string& dir, bool bounded) {
  return encode(std::pair<std::string, bool>(dir, bounded));
}

result<std::unique_ptr<split_enumerator>> make_directory_enumerator(const std::string& config) {
  std::pair<std::string, bool> c;
  byte_reader in(config.data(), config.size());
  if (!codec<decltype(c)>::decode(in, c) || in.remaining() != 0)
    return status::invalid_argument("malformed config of a directory split enumerator");
  if (c.first.empty())
    return status::invalid_argument("directory split enumerator: no directory given");
  struct stat st {};
  if (::stat(c.first.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return status::invalid_argument("directory split enumerator: '" + c.first +
                                    "' is not a directory");
  return std::unique_ptr<split_enumerator>(
      std::make_unique<directory_enumerator>(std::move(c.first), c.second));
}

}  // namespace nagare
