// A node's job libraries: stored as DIR/<content hash>.so and loaded once
// each, so a node needs no copy of the job file and no shared filesystem.
// Owned by the node actor; not thread-safe.
#pragma once

#include <map>
#include <string>

#include "job_library.hpp"

namespace nagare {

class library_cache {
 public:
  explicit library_cache(std::string dir) : dir_(std::move(dir)) {}

  // The library with this hash if it is loaded or on disk; not_found otherwise.
  result<job_definition> load(const std::string& hash);
  // Checks the bytes against the hash, writes them (atomically) and loads them.
  result<job_definition> store(const std::string& hash, const std::string& bytes);

 private:
  std::string path_of(const std::string& hash) const { return dir_ + "/" + hash + ".so"; }
  std::string dir_;
  std::map<std::string, job_definition> loaded_;
};

}  // namespace nagare
