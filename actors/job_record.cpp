#include "job_record.hpp"

#include <chrono>

#include "metadata_generated.h"

namespace nagare {

job_record make_job_record(uint64_t id, const job_submission& job) {
  job_record r;
  r.id = id;
  r.name = job.name;
  r.state = "RUNNING";
  r.job = job;
  r.job.library.clear();
  r.parallelism = job.parallelism;
  r.submitted_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return r;
}

std::string encode_job_record(const job_record& r) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<flatbuffers::String>> args;
  for (const auto& a : r.job.args) args.push_back(b.CreateString(a));
  auto plan =
      b.CreateVector(reinterpret_cast<const uint8_t*>(r.job.plan.data()), r.job.plan.size());
  b.Finish(fb::CreateJobRecord(b, r.id, b.CreateString(r.name), b.CreateString(r.state),
                               b.CreateString(r.reason), b.CreateString(r.job.library_hash),
                               b.CreateString(r.job.library_path), b.CreateVector(args), plan,
                               r.job.parallelism, r.job.max_parallelism, r.job.batch_records,
                               r.job.channel_credit, r.job.linger_ms, r.submitted_ms));
  return {reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()};
}

result<job_record> decode_job_record(const std::string& bytes) {
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyJobRecordBuffer(v)) return status(errc::io_error, "damaged job record");
  auto* f = fb::GetJobRecord(bytes.data());
  auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string{}; };
  job_record r;
  r.id = f->id();
  r.name = str(f->name());
  r.state = str(f->state());
  r.reason = str(f->reason());
  r.job.name = r.name;
  r.job.library_hash = str(f->library_hash());
  r.job.library_path = str(f->library_path());
  if (f->args())
    for (const auto* a : *f->args()) r.job.args.push_back(a->str());
  if (f->plan())
    r.job.plan.assign(reinterpret_cast<const char*>(f->plan()->data()), f->plan()->size());
  r.job.parallelism = r.parallelism = f->parallelism();
  r.job.max_parallelism = f->max_parallelism();
  r.job.batch_records = f->batch_records();
  r.job.channel_credit = f->channel_credit();
  r.job.linger_ms = f->linger_ms();
  r.submitted_ms = f->submitted_ms();
  return r;
}

}  // namespace nagare
