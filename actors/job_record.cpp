#include "job_record.hpp"

#include <chrono>

#include "metadata_generated.h"

namespace nagare {

job_record make_job_record(uint64_t id, const job_submission& job) {
  job_record r;
  r.id = id;
  r.name = job.name;
  r.state = job_state::running;
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
  auto name = b.CreateString(r.name);
  auto state = b.CreateString(to_string(r.state));  // stored as the word
  auto reason = b.CreateString(r.reason);
  auto hash = b.CreateString(r.job.library_hash);
  auto path = b.CreateString(r.job.library_path);
  auto arg_vector = b.CreateVector(args);
  auto restart = b.CreateString(r.job.restart_strategy);
  auto savepoint = b.CreateString(r.job.from_savepoint);
  auto backend = b.CreateString(r.job.state_backend);
  fb::JobRecordBuilder rb(b);
  rb.add_id(r.id);
  rb.add_name(name);
  rb.add_state(state);
  rb.add_reason(reason);
  rb.add_library_hash(hash);
  rb.add_library_path(path);
  rb.add_args(arg_vector);
  rb.add_plan(plan);
  rb.add_parallelism(r.job.parallelism);
  rb.add_max_parallelism(r.job.max_parallelism);
  rb.add_batch_records(r.job.batch_records);
  rb.add_channel_credit(r.job.channel_credit);
  rb.add_linger_ms(r.job.linger_ms);
  rb.add_submitted_ms(r.submitted_ms);
  rb.add_checkpoint_interval_ms(r.job.checkpoint_interval_ms);
  rb.add_checkpoint_timeout_ms(r.job.checkpoint_timeout_ms);
  rb.add_min_pause_ms(r.job.min_pause_ms);
  rb.add_retained_checkpoints(r.job.retained_checkpoints);
  rb.add_at_least_once(r.job.at_least_once);
  rb.add_restart_strategy(restart);
  rb.add_from_savepoint(savepoint);
  rb.add_state_backend(backend);
  rb.add_state_cache_keys(r.job.state_cache_keys);
  b.Finish(rb.Finish());
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
  // Absent (never written by a build so far): a job in an unknown state, listed as ended.
  auto state = f->state() ? parse_job_state(f->state()->str()) : job_state::unknown;
  if (!state)
    return status(errc::io_error, "damaged job record: unknown state '" + str(f->state()) + "'");
  r.state = *state;
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
  r.job.checkpoint_interval_ms = f->checkpoint_interval_ms();
  r.job.checkpoint_timeout_ms = f->checkpoint_timeout_ms();
  r.job.min_pause_ms = f->min_pause_ms();
  r.job.retained_checkpoints = f->retained_checkpoints();
  r.job.at_least_once = f->at_least_once();
  r.job.restart_strategy = str(f->restart_strategy());
  r.job.from_savepoint = str(f->from_savepoint());
  r.job.state_backend = str(f->state_backend());
  r.job.state_cache_keys = f->state_cache_keys();
  return r;
}

}  // namespace nagare
