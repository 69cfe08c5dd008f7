// The highest job id a coordinator has handed out, kept in a small file of
// its own beside the metadata (DATA/last-job-id), so that job ids never
// repeat even when the metadata store is damaged or lost: a job's
// checkpoints, savepoints and output directories are named by its id. The
// coordinator raises the mark before it accepts a job; when it starts, its
// next id is above the mark, every job record and every job in the checkpoint
// store (coordinator_books.hpp).
//
// The file holds the id in decimal and a newline, written to a temporary file,
// synced and renamed over the old one, so it is either the old or the new id.
// Not thread-safe: owned by the coordinator actor (and by the coordinator
// command before the actor starts).
#pragma once

#include <cstdint>
#include <string>

#include "nagare/status.hpp"

namespace nagare {

class job_id_mark {
 public:
  // The mark in `path`; an empty path keeps it in memory only (embedded mode).
  explicit job_id_mark(std::string path) : path_(std::move(path)) {}
  // The mark of a data directory: DIR/last-job-id.
  static std::string file_of(const std::string& data_dir) { return data_dir + "/last-job-id"; }

  // The highest id recorded; 0 if there is no file. corruption if the file
  // holds anything but a decimal id and a newline; io_error if it cannot be read.
  result<uint64_t> read() const;
  // Records `id` durably unless the mark is already at or above it.
  status raise_to(uint64_t id);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t memory_ = 0;     // the mark as last read or written (all of it when path_ is empty)
  bool read_once_ = false;  // memory_ holds the file's mark
};

}  // namespace nagare
