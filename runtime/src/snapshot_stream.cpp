// Snapshot frames (snapshot_stream.hpp): the encoder, the readers, and the
// whole-buffer forms of task_chain.hpp.
#include "snapshot_stream.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>

#include "sealed_buffer.hpp"
#include "snapshot_generated.h"
#include "task_chain.hpp"

namespace nagare {

namespace {

constexpr seal_magic magic = {'N', 'G', 'S', 'N'};
constexpr uint32_t format_version = 3;  // frames
constexpr uint32_t oldest_readable_version =
    1;  // 1: no extends, no checkpoint; 1 and 2: one buffer
constexpr size_t seal_header_bytes = 16;
constexpr size_t frame_header_bytes = seal_header_bytes + 8;  // and the length

const uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string string_of(const flatbuffers::Vector<uint8_t>* v) {
  return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : std::string();
}

status damaged(const std::string& why) { return status::io_error("damaged snapshot: " + why); }

uint64_t get_le64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// ---- reading frames ----

// The frames of a snapshot, one at a time, from its chunks.
class frame_reader {
 public:
  explicit frame_reader(snapshot_chunk_source source) : source_(std::move(source)) {}
  // The frames of bytes in memory (not copied: they must outlive the reader).
  explicit frame_reader(std::string_view bytes) : view_(bytes), next_chunk_(1), chunks_(1) {}

  // The next frame's ChainSnapshot (valid until the next call), or nullptr
  // after the last frame. Checks the frame (checksum, FlatBuffers) and that
  // the stream ends right after its last frame.
  result<const fb::ChainSnapshot*> next() {
    if (ended_) return static_cast<const fb::ChainSnapshot*>(nullptr);
    consume();
    auto st = fill(seal_header_bytes);
    if (!st.ok()) return st;
    if (available() < seal_header_bytes) {
      if (frames_ == 0 && available() == 0 && exhausted()) return damaged("empty");
      return damaged(frames_ == 0 ? std::to_string(available()) + " bytes, shorter than its header"
                                  : "it ends before its last frame");
    }
    const char* p = data() + pos_;
    if (std::memcmp(p, magic, sizeof magic) != 0)
      return frames_ == 0 ? status::io_error("not a Nagare snapshot (wrong magic bytes)")
                          : damaged("frame " + std::to_string(frames_) + " has no header");
    uint32_t version = static_cast<uint32_t>(get_le64(p + 4) & 0xffffffffu);
    size_t size = 0;
    bool legacy = false;
    if (version == format_version) {
      st = fill(frame_header_bytes);
      if (!st.ok()) return st;
      if (available() < frame_header_bytes) return damaged("it ends inside a frame header");
      auto n = get_le64(data() + pos_ + seal_header_bytes);
      if (n > (uint64_t{1} << 40)) return damaged("a frame of " + std::to_string(n) + " bytes");
      size = frame_header_bytes + static_cast<size_t>(n);
    } else if (frames_ == 0 && version >= oldest_readable_version && version < format_version) {
      legacy = true;  // one buffer: the whole stream
      st = fill(SIZE_MAX);
      if (!st.ok()) return st;
      size = available();
    } else if (frames_ == 0) {
      return status::io_error("snapshot format version " + std::to_string(version) +
                              " is not supported (this build reads versions " +
                              std::to_string(oldest_readable_version) + " to " +
                              std::to_string(format_version) + ")");
    } else {
      return damaged("frame " + std::to_string(frames_) + " of version " + std::to_string(version));
    }
    st = fill(size);
    if (!st.ok()) return st;
    if (available() < size) return damaged("it ends inside a frame");
    auto u = unseal(std::string_view(data() + pos_, size), magic, version);
    if (u.damage != seal_damage::none) return damaged(u.why.empty() ? "malformed frame" : u.why);
    auto body = legacy ? u.body : u.body.substr(8);
    // FlatBuffers reads scalars in place, at the alignment they have in the
    // buffer: a frame that does not start 8-byte aligned (it follows a frame
    // of odd length, which the encoder never writes) is read from a copy.
    if (reinterpret_cast<uintptr_t>(body.data()) % 8 != 0) {
      aligned_.assign(body.data(), body.size());
      body = aligned_;
    }
    consumed_ = size;
    ++frames_;
    flatbuffers::Verifier v(reinterpret_cast<const uint8_t*>(body.data()), body.size());
    if (!fb::VerifyChainSnapshotBuffer(v)) return damaged("malformed contents");
    const auto* chain = fb::GetChainSnapshot(body.data());
    if (legacy || chain->last()) {
      ended_ = true;
      consume();
      st = fill(1);
      if (!st.ok()) return st;
      if (available() != 0) return damaged("bytes after its last frame");
    }
    return chain;
  }

 private:
  const char* data() const { return view_.empty() ? buffer_.data() : view_.data(); }
  size_t size() const { return view_.empty() ? buffer_.size() : view_.size(); }
  size_t available() const { return size() - pos_; }
  bool exhausted() const { return chunks_ && next_chunk_ >= *chunks_; }
  void consume() {
    pos_ += consumed_;
    consumed_ = 0;
  }
  // Reads chunks until `n` bytes are available or none are left.
  status fill(size_t n) {
    while (available() < n && !exhausted()) {
      auto c = source_(next_chunk_);
      if (!c.ok()) return c.error();
      if (!chunks_) chunks_ = c->chunks;
      if (c->chunks != *chunks_) return damaged("its chunks disagree on their number");
      ++next_chunk_;
      if (pos_ > 0) {  // drop what was read; the frames handed out are done with
        buffer_.erase(0, pos_);
        pos_ = 0;
      }
      if (buffer_.empty())
        buffer_ = std::move(c->bytes);
      else
        buffer_.append(c->bytes);
    }
    return {};
  }

  snapshot_chunk_source source_;
  std::string_view view_;  // the bytes, when in memory from the start
  std::string buffer_;     // else: what was read of the chunks, from the current frame on
  std::string aligned_;    // a copy of the current frame's body, if it was misaligned
  size_t pos_ = 0;         // start of the current frame in buffer_
  size_t consumed_ = 0;    // bytes of the frame handed out last
  uint32_t next_chunk_ = 0;
  std::optional<uint32_t> chunks_;
  uint64_t frames_ = 0;
  bool ended_ = false;
};

bool kept(const snapshot_filter& keep, size_t op) {
  return keep.operators.empty() || (op < keep.operators.size() && keep.operators[op]);
}

// Visits operator `op`'s key groups in range [first, end) in every frame.
status visit_key_groups(frame_reader& frames, size_t op, uint32_t first, uint32_t end,
                        const detail::key_group_reader::visitor& f) {
  while (true) {
    auto frame = frames.next();
    if (!frame.ok()) return frame.error();
    if (!frame.value()) return {};
    const auto* ops = frame.value()->operators();
    if (!ops || op >= ops->size()) return damaged("a frame without operator " + std::to_string(op));
    const auto* groups = ops->Get(static_cast<flatbuffers::uoffset_t>(op))->key_groups();
    if (!groups) continue;
    for (const auto* g : *groups) {
      if (g->key_group() < first || g->key_group() >= end) continue;
      auto st = f(g->key_group(), string_of(g->data()));
      if (!st.ok()) return st;
    }
  }
}

// An operator's key groups left in the store.
class stored_key_groups final : public detail::key_group_reader {
 public:
  stored_key_groups(snapshot_chunk_source source, size_t op, uint32_t first, uint32_t end)
      : source_(std::move(source)), op_(op), first_(first), end_(end) {}
  status for_each(const visitor& f) const override {
    frame_reader frames(source_);
    return visit_key_groups(frames, op_, first_, end_, f);
  }

 private:
  snapshot_chunk_source source_;
  size_t op_;
  uint32_t first_, end_;
};

// Reads every frame: entries, extends and checkpoint of each operator, and
// its key groups if `source` is null (else `stored` readers over *source).
result<std::vector<detail::operator_snapshot>> read_frames(frame_reader& frames,
                                                           const snapshot_filter& keep,
                                                           const snapshot_chunk_source* source) {
  const bool keep_key_groups = source == nullptr;
  std::vector<detail::operator_snapshot> out;
  std::vector<int64_t> previous;  // per operator: the last key group seen
  std::vector<bool> any;          // per operator: a key group in range
  bool first = true;
  while (true) {
    auto frame = frames.next();
    if (!frame.ok()) return frame.error();
    const auto* chain = frame.value();
    if (!chain) break;
    const auto n = chain->operators() ? chain->operators()->size() : 0;
    if (first) {
      out.resize(n);
      previous.assign(n, -1);
      any.assign(n, false);
      first = false;
    } else if (n != out.size()) {
      return damaged("frames of " + std::to_string(out.size()) + " and " + std::to_string(n) +
                     " operators");
    }
    for (flatbuffers::uoffset_t i = 0; i < n; ++i) {
      const auto* op = chain->operators()->Get(i);
      auto& s = out[i];
      s.extends = op->extends();
      s.checkpoint = op->checkpoint();
      const bool wanted = kept(keep, i);
      if (op->key_groups()) {
        for (const auto* g : *op->key_groups()) {
          if (static_cast<int64_t>(g->key_group()) <= previous[i])
            return damaged("key groups out of order");
          previous[i] = g->key_group();
          if (!wanted || g->key_group() < keep.first_key_group ||
              g->key_group() >= keep.end_key_group)
            continue;
          any[i] = true;
          if (keep_key_groups)
            s.key_groups.emplace_hint(s.key_groups.end(), g->key_group(), string_of(g->data()));
        }
      }
      if (wanted && op->entries())
        for (const auto* e : *op->entries()) s.entries.push_back(string_of(e->data()));
    }
  }
  if (!keep_key_groups)
    for (size_t i = 0; i < out.size(); ++i)
      if (any[i])
        out[i].stored = std::make_shared<stored_key_groups>(*source, i, keep.first_key_group,
                                                            keep.end_key_group);
  return out;
}

}  // namespace

// ---- encoder ----

class snapshot_encoder::operator_writer final : public detail::key_group_writer {
 public:
  operator_writer(snapshot_encoder& e, size_t op) : e_(e), op_(op) {}
  void write(uint32_t key_group, std::string&& bytes) override {
    e_.add(op_, key_group, std::move(bytes));
  }

 private:
  snapshot_encoder& e_;
  size_t op_;
};

snapshot_encoder::snapshot_encoder(size_t operators, sink out, size_t frame_bytes)
    : out_(std::move(out)),
      frame_bytes_(std::max<size_t>(frame_bytes, 1)),
      pending_(operators),
      last_key_group_(operators, -1) {
  for (size_t i = 0; i < operators; ++i)
    writers_.push_back(std::make_unique<operator_writer>(*this, i));
}

snapshot_encoder::~snapshot_encoder() = default;

detail::key_group_writer* snapshot_encoder::writer(size_t op) { return writers_.at(op).get(); }

void snapshot_encoder::add(size_t op, uint32_t kg, std::string&& bytes) {
  if (!error_.ok()) return;
  if (static_cast<int64_t>(kg) <= last_key_group_[op]) {
    error_ = status::invalid_argument("operator " + std::to_string(op) + " wrote key group " +
                                      std::to_string(kg) + " after key group " +
                                      std::to_string(last_key_group_[op]));
    return;
  }
  last_key_group_[op] = kg;
  pending_bytes_ += bytes.size();
  pending_[op].emplace_back(kg, std::move(bytes));
  if (pending_bytes_ >= frame_bytes_) write_frame(nullptr);
}

status snapshot_encoder::finish(std::vector<detail::operator_snapshot>& snapshots) {
  if (snapshots.size() != pending_.size())
    return status::invalid_argument("snapshots of " + std::to_string(snapshots.size()) +
                                    " operators for an encoder of " +
                                    std::to_string(pending_.size()));
  for (size_t i = 0; i < snapshots.size() && error_.ok(); ++i)
    if (!snapshots[i].key_groups.empty() &&
        static_cast<int64_t>(snapshots[i].key_groups.begin()->first) <= last_key_group_[i])
      error_ = status::invalid_argument("operator " + std::to_string(i) +
                                        " kept key groups below those it wrote");
  if (error_.ok()) write_frame(&snapshots);
  return error_;
}

// Writes the pending key groups as a frame; the last one also holds what
// `last` (not null) holds in memory, which it frees.
void snapshot_encoder::write_frame(std::vector<detail::operator_snapshot>* last) {
  size_t bound = 1024 + pending_bytes_;
  for (const auto& p : pending_) bound += 48 * p.size() + 128;
  if (last)
    for (const auto& s : *last) {
      for (const auto& [kg, data] : s.key_groups) bound += data.size() + 48;
      for (const auto& e : s.entries) bound += e.size() + 32;
    }
  // One allocation: growing would double and copy the buffer.
  flatbuffers::FlatBufferBuilder b(bound);
  std::vector<flatbuffers::Offset<fb::OperatorState>> ops;
  ops.reserve(pending_.size());
  for (size_t i = 0; i < pending_.size(); ++i) {
    std::vector<flatbuffers::Offset<fb::KeyGroupState>> groups;
    auto add_group = [&](uint32_t kg, std::string& data) {
      groups.push_back(fb::CreateKeyGroupState(b, kg, b.CreateVector(bytes_of(data), data.size())));
      std::string().swap(data);
    };
    for (auto& [kg, data] : pending_[i]) add_group(kg, data);
    pending_[i].clear();
    std::vector<flatbuffers::Offset<fb::StateEntry>> entries;
    uint64_t extends = 0, checkpoint = 0;
    if (last) {
      auto& s = (*last)[i];
      for (auto& [kg, data] : s.key_groups) add_group(kg, data);
      s.key_groups.clear();
      for (auto& e : s.entries) {
        entries.push_back(fb::CreateStateEntry(b, b.CreateVector(bytes_of(e), e.size())));
        std::string().swap(e);
      }
      s.entries = {};
      extends = s.extends;
      checkpoint = s.checkpoint;
    }
    ops.push_back(fb::CreateOperatorState(b, b.CreateVector(groups), b.CreateVector(entries),
                                          extends, checkpoint));
  }
  pending_bytes_ = 0;
  b.Finish(fb::CreateChainSnapshot(b, b.CreateVector(ops), last != nullptr));
  std::string body;
  body.reserve(8 + b.GetSize());
  for (int i = 0; i < 8; ++i)
    body.push_back(static_cast<char>((uint64_t{b.GetSize()} >> (8 * i)) & 0xff));
  body.append(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  b.Clear();
  auto frame = seal(magic, format_version, body.data(), body.size());
  std::string().swap(body);
  bytes_ += frame.size();
  auto st = out_(std::move(frame));
  if (!st.ok() && error_.ok()) error_ = st;
}

// ---- readers ----

result<std::vector<detail::operator_snapshot>> read_snapshot_stream(snapshot_chunk_source source,
                                                                    const snapshot_filter& keep) {
  // A snapshot of one chunk is read whole: it is small, and read once.
  auto first = source(0);
  if (!first.ok()) return first.error();
  if (first->chunks <= 1) return decode_snapshot_stream(first->bytes, keep);
  auto chunk0 = std::make_shared<snapshot_chunk>(std::move(first.value()));
  // The first chunk was read already: the metadata pass reuses it.
  auto once = [source, chunk0](uint32_t chunk) -> result<snapshot_chunk> {
    if (chunk == 0 && !chunk0->bytes.empty()) return std::move(*chunk0);
    return source(chunk);
  };
  frame_reader frames(once);
  auto out = read_frames(frames, keep, &source);
  chunk0->bytes = {};
  return out;
}

result<std::vector<detail::operator_snapshot>> decode_snapshot_stream(std::string_view bytes,
                                                                      const snapshot_filter& keep) {
  frame_reader frames(bytes);
  return read_frames(frames, keep, nullptr);
}

// ---- whole buffers (task_chain.hpp) ----

namespace {

template <class Snapshots>
std::string encode(Snapshots&& snapshots) {
  std::string out;
  snapshot_encoder e(snapshots.size(), [&](std::string&& frame) {
    if (out.empty())
      out = std::move(frame);
    else
      out.append(frame);
    return status{};
  });
  e.finish(snapshots);
  return out;
}

}  // namespace

std::string encode_snapshots(const std::vector<detail::operator_snapshot>& snapshots) {
  auto copy = snapshots;
  return encode(copy);
}

std::string encode_snapshots(std::vector<detail::operator_snapshot>&& snapshots) {
  auto out = encode(snapshots);
  snapshots.clear();
  return out;
}

result<std::vector<detail::operator_snapshot>> decode_snapshots(std::string_view bytes,
                                                                const snapshot_filter& keep) {
  return decode_snapshot_stream(bytes, keep);
}

result<std::vector<detail::operator_snapshot>> decode_snapshots(std::string_view bytes) {
  return decode_snapshots(bytes, snapshot_filter{});
}

}  // namespace nagare
