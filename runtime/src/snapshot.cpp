// The serialized form of a task's snapshots: a 16-byte header, then a
// FlatBuffers ChainSnapshot (schemas/snapshot.fbs).
//
//   bytes 0..3   magic "NGSN"
//   bytes 4..7   format version, uint32 little-endian
//   bytes 8..15  hash_bytes of bytes 16.., uint64 little-endian
//
// The checksum covers every byte of the FlatBuffers buffer, padding included,
// so any changed byte is detected (hash_bytes is a chain of bijections: two
// inputs of the same length that differ in one word never collide).
#include <cstring>

#include "nagare/hash.hpp"
#include "snapshot_generated.h"
#include "task_chain.hpp"

namespace nagare {

namespace {

constexpr char magic[4] = {'N', 'G', 'S', 'N'};
constexpr uint32_t format_version = 1;
constexpr size_t header_size = 16;

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

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

  std::string out;
  out.reserve(header_size + b.GetSize());
  out.append(magic, sizeof magic);
  put_le(out, format_version, 4);
  put_le(out, hash_bytes(b.GetBufferPointer(), b.GetSize()), 8);
  out.append(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  return out;
}

result<std::vector<detail::operator_snapshot>> decode_snapshots(const std::string& bytes) {
  if (bytes.size() < header_size)
    return damaged(std::to_string(bytes.size()) + " bytes, shorter than its header");
  if (std::memcmp(bytes.data(), magic, sizeof magic) != 0)
    return status::io_error("not a Nagare snapshot (wrong magic bytes)");
  auto version = get_le(bytes.data() + 4, 4);
  if (version != format_version)
    return status::io_error("snapshot format version " + std::to_string(version) +
                            " is not supported (this build reads version " +
                            std::to_string(format_version) + ")");
  const char* body = bytes.data() + header_size;
  const size_t size = bytes.size() - header_size;
  if (get_le(bytes.data() + 8, 8) != hash_bytes(body, size)) return damaged("checksum mismatch");

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
