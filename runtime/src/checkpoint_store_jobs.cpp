// The checkpoint store across jobs: which jobs it holds anything of. Reads
// the job id out of keys "<kind>/<job: 16 hex>/..." (the layout in
// checkpoint_store.hpp); the greatest key of a kind names its highest job.
#include <algorithm>
#include <string_view>

#include "checkpoint_store.hpp"

namespace nagare {

namespace {

const char* const kinds[] = {"rec/", "idx/", "snap/", "save/"};

// The job id of a key of that kind; false if the key has another form.
bool job_of(std::string_view key, std::string_view kind, uint64_t& job) {
  if (key.size() < kind.size() + 16 || key.compare(0, kind.size(), kind) != 0) return false;
  job = 0;
  for (char c : key.substr(kind.size(), 16)) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    job = job << 4 | static_cast<uint64_t>(d);
  }
  return true;
}

}  // namespace

result<uint64_t> checkpoint_store::highest_job_id() const {
  uint64_t highest = 0;
  for (const char* kind : kinds) {
    auto key = last_key(kind);
    if (!key.ok()) return key.error();
    uint64_t job = 0;
    if (key->has_value() && job_of(**key, kind, job)) highest = std::max(highest, job);
  }
  return highest;
}

result<std::vector<uint64_t>> checkpoint_store::jobs_with_checkpoints() const {
  std::vector<uint64_t> jobs;
  for (const char* kind : {"rec/", "save/"}) {
    auto st = scan(kind, [&](std::string_view key, std::string_view) {
      uint64_t job = 0;
      if (job_of(key, kind, job)) jobs.push_back(job);
      return true;
    });
    if (!st.ok()) return st;
  }
  std::sort(jobs.begin(), jobs.end());
  jobs.erase(std::unique(jobs.begin(), jobs.end()), jobs.end());
  return jobs;
}

}  // namespace nagare
