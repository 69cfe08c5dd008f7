// A node's job libraries: stored as DIR/<hash>.so (hash: library_hash.hpp)
// so a node needs no copy of the job file and no shared filesystem, and loaded
// once per hash from bytes verified against it (job_library.hpp,
// load_job_image). A cached file is verified every time it is asked for: a
// copy damaged on disk is deleted and reported, and the caller fetches the
// bytes again. Owned by the node actor; not thread-safe.
#pragma once

#include <map>
#include <string>

#include "job_library.hpp"

namespace nagare {

class library_cache {
 public:
  explicit library_cache(std::string dir) : dir_(std::move(dir)) {}

  // The library with this hash. Reads the cached file and checks that its
  // bytes hash to `hash` and pass the ELF check, also when the library is
  // already loaded (the loaded copy is then returned).
  // not_found: not cached. corruption: the cached copy was damaged (the
  // message says how); it has been deleted, so fetch the bytes and store()
  // them. invalid_argument: `hash` is no library hash. Anything else: the
  // library does not load.
  result<job_definition> load(const std::string& hash);
  // Checks the bytes against the hash and the ELF check, writes them
  // (atomically) and loads them (unless a library with this hash is loaded).
  result<job_definition> store(const std::string& hash, const std::string& bytes);

  // Where the library with this hash is cached.
  std::string path_of(const std::string& hash) const { return dir_ + "/" + hash + ".so"; }

 private:
  std::string dir_;
  std::map<std::string, job_definition> loaded_;
};

}  // namespace nagare
