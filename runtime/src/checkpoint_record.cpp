#include "checkpoint_record.hpp"

#include <cstdint>

#include "checkpoint_generated.h"
#include "sealed_buffer.hpp"

namespace nagare {

namespace {

constexpr seal_magic magic = {'N', 'G', 'C', 'P'};
constexpr uint32_t format_version = 1;

constexpr seal_magic index_magic = {'N', 'G', 'S', 'I'};
constexpr uint32_t index_version = 1;

std::string name(uint64_t job, uint64_t checkpoint) {
  return "checkpoint " + std::to_string(checkpoint) + " of job " + std::to_string(job);
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t{static_cast<unsigned char>(in[at + static_cast<size_t>(i)])} << (8 * i);
  return v;
}

}  // namespace

std::string encode_checkpoint_record(const stored_checkpoint& r) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::CheckpointTask>> tasks;
  tasks.reserve(r.tasks.size());
  for (const auto& t : r.tasks)
    tasks.push_back(fb::CreateCheckpointTask(b, t.task, b.CreateVectorOfStrings(t.state_keys),
                                             t.finished, b.CreateVector(t.needs)));
  std::vector<flatbuffers::Offset<fb::CheckpointSource>> sources;
  for (const auto& src : r.sources)
    sources.push_back(fb::CreateCheckpointSource(
        b, b.CreateString(src.key),
        b.CreateVector(reinterpret_cast<const uint8_t*>(src.snapshot.data()),
                       src.snapshot.size())));
  b.Finish(fb::CreateCheckpointRecord(b, r.job_id, r.id, r.savepoint, r.completed_ms, r.bytes,
                                      b.CreateVector(tasks),
                                      sources.empty() ? 0 : b.CreateVector(sources)));
  return seal(magic, format_version, b.GetBufferPointer(), b.GetSize());
}

// The record stored under (job, checkpoint); io_error naming the damage.
result<stored_checkpoint> decode_checkpoint_record(uint64_t job, uint64_t checkpoint,
                                                   std::string_view bytes) {
  auto damaged = [&](const std::string& why) {
    return status::io_error(name(job, checkpoint) + " has a damaged record: " + why);
  };
  auto u = unseal(bytes, magic, format_version);
  switch (u.damage) {
    case seal_damage::none:
      break;
    case seal_damage::foreign:
      return damaged("wrong magic bytes");
    case seal_damage::version:
      return status::io_error(
          name(job, checkpoint) + ": record format version " + std::to_string(u.found_version) +
          " is not supported (this build reads " + std::to_string(format_version) + ")");
    case seal_damage::damaged:
      return damaged(u.why);
  }
  // FlatBuffers needs its buffer aligned; a value read from LevelDB's blocks
  // may be anywhere, so read a copy (malloc aligns it).
  const std::string aligned(u.body);
  const char* body = aligned.data();
  const size_t size = aligned.size();
  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(body), size);
  if (!fb::VerifyCheckpointRecordBuffer(v)) return damaged("malformed contents");
  const auto* rec = fb::GetCheckpointRecord(body);
  if (rec->job_id() != job || rec->id() != checkpoint)
    return damaged("it describes " + name(rec->job_id(), rec->id()));
  stored_checkpoint out;
  out.job_id = rec->job_id();
  out.id = rec->id();
  out.savepoint = rec->savepoint();
  out.completed_ms = rec->completed_ms();
  out.bytes = rec->bytes();
  if (rec->tasks()) {
    out.tasks.reserve(rec->tasks()->size());
    for (const auto* t : *rec->tasks()) {
      stored_task st;
      st.task = t->task();
      st.finished = t->finished();
      if (t->state_keys())
        for (const auto* k : *t->state_keys()) st.state_keys.push_back(k->str());
      if (t->needs()) {
        // The verifier checks a vector's length, not that its 8-byte
        // elements are aligned, and FlatBuffers reads them in place; the
        // encoder aligns them (an empty vector may sit anywhere).
        if (t->needs()->size() > 0 &&
            reinterpret_cast<uintptr_t>(t->needs()->data()) % alignof(uint64_t) != 0)
          return damaged("task " + std::to_string(t->task()) + " has a misaligned list of needs");
        st.needs.assign(t->needs()->begin(), t->needs()->end());
      }
      out.tasks.push_back(std::move(st));
    }
  }
  if (rec->sources())
    for (const auto* src : *rec->sources()) {
      stored_source ss;
      ss.key = src->key() ? src->key()->str() : "";
      if (src->snapshot())
        ss.snapshot.assign(reinterpret_cast<const char*>(src->snapshot()->data()),
                           src->snapshot()->size());
      out.sources.push_back(std::move(ss));
    }
  return out;
}

std::string encode_snapshot_index(const snapshot_index& x) {
  std::string body;
  put_le(body, x.chunks, 4);
  body.push_back(x.whole ? 1 : 0);
  put_le(body, x.needs.size(), 4);
  for (auto id : x.needs) put_le(body, id, 8);
  return seal(index_magic, index_version, body.data(), body.size());
}

result<snapshot_index> decode_snapshot_index(std::string_view bytes) {
  auto u = unseal(bytes, index_magic, index_version);
  if (u.damage != seal_damage::none)
    return status::io_error("damaged snapshot index" + (u.why.empty() ? "" : ": " + u.why));
  auto body = u.body;
  if (body.size() < 9) return status::io_error("damaged snapshot index: too short");
  snapshot_index x;
  x.chunks = static_cast<uint32_t>(get_le(body, 0, 4));
  if (static_cast<unsigned char>(body[4]) > 1)
    return status::io_error("damaged snapshot index: its flag is neither 0 nor 1");
  x.whole = body[4] == 1;
  auto n = get_le(body, 5, 4);
  if (body.size() != 9 + 8 * n) return status::io_error("damaged snapshot index: wrong length");
  for (uint64_t i = 0; i < n; ++i) {
    x.needs.push_back(get_le(body, 9 + 8 * i, 8));
    if (i > 0 && x.needs[i] <= x.needs[i - 1])
      return status::io_error("damaged snapshot index: what it needs does not ascend");
  }
  return x;
}

}  // namespace nagare
