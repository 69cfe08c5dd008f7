// The serialized form of a task's snapshots: a FlatBuffers ChainSnapshot
// (schemas/snapshot.fbs), sealed with magic "NGSN" (sealed_buffer.hpp).
#include <cstring>

#include "nagare/hash.hpp"
#include "sealed_buffer.hpp"
#include "snapshot_generated.h"
#include "task_chain.hpp"

namespace nagare {

namespace {

constexpr seal_magic magic = {'N', 'G', 'S', 'N'};
constexpr uint32_t format_version = 1;

const uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string string_of(const flatbuffers::Vector<uint8_t>* v) {
  return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : std::string();
}

status damaged(const std::string& why) { return status::io_error("damaged snapshot: " + why); }

}  // namespace

std::string encode_snapshots(const std::vector<detail::operator_snapshot>& snapshots) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::OperatorState>> ops;
  ops.reserve(snapshots.size());
  for (const auto& s : snapshots) {
    std::vector<flatbuffers::Offset<fb::KeyGroupState>> groups;
    groups.reserve(s.key_groups.size());
    for (const auto& [kg, data] : s.key_groups)  // std::map: ascending
      groups.push_back(fb::CreateKeyGroupState(b, kg, b.CreateVector(bytes_of(data), data.size())));
    std::vector<flatbuffers::Offset<fb::StateEntry>> entries;
    entries.reserve(s.entries.size());
    for (const auto& e : s.entries)
      entries.push_back(fb::CreateStateEntry(b, b.CreateVector(bytes_of(e), e.size())));
    ops.push_back(fb::CreateOperatorState(b, b.CreateVector(groups), b.CreateVector(entries)));
  }
  b.Finish(fb::CreateChainSnapshot(b, b.CreateVector(ops)));

  return seal(magic, format_version, b.GetBufferPointer(), b.GetSize());
}

result<std::vector<detail::operator_snapshot>> decode_snapshots(const std::string& bytes) {
  auto u = unseal(bytes, magic, format_version);
  switch (u.damage) {
    case seal_damage::none:
      break;
    case seal_damage::foreign:
      return status::io_error("not a Nagare snapshot (wrong magic bytes)");
    case seal_damage::version:
      return status::io_error("snapshot format version " + std::to_string(u.found_version) +
                              " is not supported (this build reads version " +
                              std::to_string(format_version) + ")");
    case seal_damage::damaged:
      return damaged(u.why);
  }
  const char* body = u.body.data();
  const size_t size = u.body.size();

  flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(body), size);
  if (!fb::VerifyChainSnapshotBuffer(v)) return damaged("malformed contents");
  const auto* chain = fb::GetChainSnapshot(body);
  std::vector<detail::operator_snapshot> out;
  if (!chain->operators()) return out;
  out.resize(chain->operators()->size());
  for (flatbuffers::uoffset_t i = 0; i < chain->operators()->size(); ++i) {
    const auto* op = chain->operators()->Get(i);
    auto& s = out[i];
    if (op->key_groups()) {
      for (const auto* g : *op->key_groups()) {
        if (!s.key_groups.empty() && g->key_group() <= s.key_groups.rbegin()->first)
          return damaged("key groups out of order");
        s.key_groups.emplace_hint(s.key_groups.end(), g->key_group(), string_of(g->data()));
      }
    }
    if (op->entries())
      for (const auto* e : *op->entries()) s.entries.push_back(string_of(e->data()));
  }
  return out;
}

}  // namespace nagare
