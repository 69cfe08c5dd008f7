// Fuzz target "job_record": what a restarted coordinator reads from its
// metadata store (job_registry.cpp, restore_jobs): each key under "job/"
// (job_id_of_key), each job record (decode_job_record), and of a record the
// words it resumes the job with: its restart strategy
// (restart_policy::parse) and the savepoint it started from
// (parse_savepoint_id). The input is tried as a key and as a record.
//
// Invariants: a key read is the key of its id; a refused record is an
// io_error; an accepted record re-encodes to a record that decodes and
// encodes the same; a restart strategy read describes itself as a strategy
// that reads the same; a savepoint id read is the id of what it names.
#include <string>

#include "checkpoint_store.hpp"
#include "fuzz_support.hpp"
#include "job_record.hpp"
#include "metadata_store.hpp"
#include "restart_policy.hpp"

namespace nagare::fuzz {

namespace {
constexpr const char* target = "job_record";
}  // namespace

int fuzz_job_record(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto id = job_id_of_key(bytes);
  if (id.ok())
    NAGARE_FUZZ_CHECK(target, job_record_key(id.value()) == bytes, "a key of another id");
  else
    NAGARE_FUZZ_CHECK(target, id.error().code() == errc::io_error, id.error().message());

  auto r = decode_job_record(bytes);
  if (!r.ok()) {
    NAGARE_FUZZ_CHECK(target, r.error().code() == errc::io_error, r.error().message());
    return 0;
  }
  const auto encoded = encode_job_record(r.value());
  auto again = decode_job_record(encoded);
  NAGARE_FUZZ_CHECK(target, again.ok(), "re-encoded record refused: " + again.error().message());
  NAGARE_FUZZ_CHECK(target, encode_job_record(again.value()) == encoded,
                    "record differs after a round trip");

  const auto& job = r->job;
  auto policy = restart_policy::parse(job.restart_strategy, job.checkpoint_interval_ms > 0);
  if (policy.ok()) {
    auto described = restart_policy::parse(policy->describe(), true);
    NAGARE_FUZZ_CHECK(target, described.ok() && described->describe() == policy->describe(),
                      "restart strategy '" + policy->describe() + "' does not read back");
  }
  if (!job.from_savepoint.empty()) {
    auto ref = parse_savepoint_id(job.from_savepoint);
    if (ref.ok())
      NAGARE_FUZZ_CHECK(target, savepoint_id(ref->job_id, ref->checkpoint) == job.from_savepoint,
                        "savepoint id '" + job.from_savepoint + "' names another");
  }
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_job_record)
