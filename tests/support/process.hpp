// Running real processes from tests: the nagare binary with arguments, its
// exit code and output captured, and a deadline after which it is killed
// (a hang fails the test instead of blocking the suite).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace nagare::testing {

struct process_result {
  int exit_code = -1;  // -1: killed by a signal or by the deadline
  int signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
};

process_result run_process(const std::vector<std::string>& argv,
                           std::chrono::seconds deadline = std::chrono::seconds(120));

// Paths the build passes to tests through the environment.
std::string nagare_bin();                              // NAGARE_BIN
std::string job_library(const std::string& name);      // NAGARE_JOBS_DIR/lib<name>.so
std::string fixture_library(const std::string& name);  // NAGARE_FIXTURES_DIR/lib<name>.so

// A fresh directory, removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& contents);
// The lines of every result file under dir (names starting with '.' or '_'
// are not results), in no particular order.
std::vector<std::string> read_result_lines(const std::string& dir);
// Number of lines of `text` (trailing newline not counted as an extra line).
size_t count_lines(const std::string& text);

}  // namespace nagare::testing
