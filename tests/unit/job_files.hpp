// The job libraries the build produces, for unit tests that load, cache or
// damage a real one.
#pragma once

#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace nagare::testing {

// The built jobs: NAGARE_JOBS_DIR under meson test, else the build tree's
// jobs/ next to this binary (build/tests/unit/unit_tests -> build/jobs).
inline std::string jobs_dir() {
  if (const char* env = std::getenv("NAGARE_JOBS_DIR")) return env;
  char self[PATH_MAX];
  auto n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "jobs";
  self[n] = '\0';
  return (std::filesystem::path(self).parent_path() / ".." / ".." / "jobs")
      .lexically_normal()
      .string();
}

// A whole file's bytes ("" if it cannot be read).
inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Writes bytes to path, replacing the file.
inline void put_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace nagare::testing
