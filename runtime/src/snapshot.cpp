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
constexpr uint32_t format_version = 2;
constexpr uint32_t oldest_readable_version = 1;  // no extends, no checkpoint: complete snapshots

const uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string string_of(const flatbuffers::Vector<uint8_t>* v) {
  return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : std::string();
}

status damaged(const std::string& why) { return status::io_error("damaged snapshot: " + why); }

// Adds one operator's state to the builder. Release: frees each piece of
// `s` (then not const) once it is in the builder.
template <bool Release, class Snapshot>
flatbuffers::Offset<fb::OperatorState> add_operator(flatbuffers::FlatBufferBuilder& b,
                                                    Snapshot& s) {
  std::vector<flatbuffers::Offset<fb::KeyGroupState>> groups;
  groups.reserve(s.key_groups.size());
  for (auto& [kg, data] : s.key_groups) {  // std::map: ascending
    groups.push_back(fb::CreateKeyGroupState(b, kg, b.CreateVector(bytes_of(data), data.size())));
    if constexpr (Release) std::string().swap(data);
  }
  std::vector<flatbuffers::Offset<fb::StateEntry>> entries;
  entries.reserve(s.entries.size());
  for (auto& e : s.entries) {
    entries.push_back(fb::CreateStateEntry(b, b.CreateVector(bytes_of(e), e.size())));
    if constexpr (Release) std::string().swap(e);
  }
  auto op = fb::CreateOperatorState(b, b.CreateVector(groups), b.CreateVector(entries), s.extends,
                                    s.checkpoint);
  if constexpr (Release) {
    s.key_groups.clear();
    s.entries = {};
  }
  return op;
}

// An upper bound of the encoded size, so that the builder allocates its
// buffer once (growing doubles it, and copies: three times the state at worst).
size_t encoded_size_bound(const std::vector<detail::operator_snapshot>& snapshots) {
  size_t n = 1024;
  for (const auto& s : snapshots) {
    n += 128;
    for (const auto& [kg, data] : s.key_groups) n += data.size() + 48;
    for (const auto& e : s.entries) n += e.size() + 32;
  }
  return n;
}

template <bool Release, class Snapshots>
std::string encode(Snapshots& snapshots) {
  flatbuffers::FlatBufferBuilder b(encoded_size_bound(snapshots));
  std::vector<flatbuffers::Offset<fb::OperatorState>> ops;
  ops.reserve(snapshots.size());
  for (auto& s : snapshots) ops.push_back(add_operator<Release>(b, s));
  b.Finish(fb::CreateChainSnapshot(b, b.CreateVector(ops)));
  return seal(magic, format_version, b.GetBufferPointer(), b.GetSize());
}

}  // namespace

std::string encode_snapshots(const std::vector<detail::operator_snapshot>& snapshots) {
  return encode<false>(snapshots);
}

std::string encode_snapshots(std::vector<detail::operator_snapshot>&& snapshots) {
  auto out = encode<true>(snapshots);
  snapshots.clear();
  return out;
}

result<std::vector<detail::operator_snapshot>> decode_snapshots(std::string_view bytes,
                                                                const snapshot_filter& keep) {
  auto u = unseal(bytes, magic, format_version);
  if (u.damage == seal_damage::version && u.found_version >= oldest_readable_version &&
      u.found_version < format_version)
    u = unseal(bytes, magic, u.found_version);  // the fields it lacks read as their defaults
  switch (u.damage) {
    case seal_damage::none:
      break;
    case seal_damage::foreign:
      return status::io_error("not a Nagare snapshot (wrong magic bytes)");
    case seal_damage::version:
      return status::io_error("snapshot format version " + std::to_string(u.found_version) +
                              " is not supported (this build reads versions " +
                              std::to_string(oldest_readable_version) + " to " +
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
    s.extends = op->extends();
    s.checkpoint = op->checkpoint();
    const bool wanted = keep.operators.empty() || (i < keep.operators.size() && keep.operators[i]);
    if (op->key_groups()) {
      int64_t previous = -1;
      for (const auto* g : *op->key_groups()) {
        if (static_cast<int64_t>(g->key_group()) <= previous)
          return damaged("key groups out of order");
        previous = g->key_group();
        if (wanted && g->key_group() >= keep.first_key_group && g->key_group() < keep.end_key_group)
          s.key_groups.emplace_hint(s.key_groups.end(), g->key_group(), string_of(g->data()));
      }
    }
    if (wanted && op->entries())
      for (const auto* e : *op->entries()) s.entries.push_back(string_of(e->data()));
  }
  return out;
}

result<std::vector<detail::operator_snapshot>> decode_snapshots(std::string_view bytes) {
  return decode_snapshots(bytes, snapshot_filter{});
}

}  // namespace nagare
