// A directory a job monitors (nagare::text_file_source::monitor) and the
// RunningSum inputs written into it so far, for tests.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "process.hpp"
#include "running_sum_reference.hpp"

namespace nagare::testing {

class input_dir {
 public:
  explicit input_dir(std::string path) : path_(std::move(path)) { ::mkdir(path_.c_str(), 0755); }
  const std::string& path() const { return path_; }
  // Adds file i (keys of its own) the way a producer should: under a hidden
  // name first, renamed once complete.
  void add(uint64_t seed, uint32_t i, size_t lines) {
    texts_.push_back(generate_running_sum_input(seed, i, lines));
    auto name = "in" + std::to_string(i) + ".csv";
    write_file(path_ + "/." + name, texts_.back());
    std::rename((path_ + "/." + name).c_str(), (path_ + "/" + name).c_str());
  }
  std::vector<std::string> expected() const { return expected_running_sums(texts_); }

 private:
  std::string path_;
  std::vector<std::string> texts_;
};

}  // namespace nagare::testing
