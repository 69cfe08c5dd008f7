// What the coordinator keeps of a job in its metadata store: everything to
// list it and, later, to resume it (schemas/metadata.fbs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages.hpp"

namespace nagare {

struct job_record {
  uint64_t id = 0;
  std::string name;
  job_state state = job_state::running;  // stored as to_string's word
  std::string reason;
  job_submission job;  // without the library's bytes
  int64_t submitted_ms = 0;
  uint32_t parallelism = 0;
};

job_record make_job_record(uint64_t id, const job_submission& job);
std::string encode_job_record(const job_record& r);
result<job_record> decode_job_record(const std::string& bytes);

}  // namespace nagare
