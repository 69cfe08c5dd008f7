// Snapshots as streams of frames (snapshot_stream.hpp): written a frame at a
// time as operators hand over key groups, stored a chunk at a time, read back
// with the key groups left in the store until an operator visits them.
// Expected contents come from the snapshots put in, or from a std::map model.
#include "snapshot_stream.hpp"
#include "checkpoint_store.hpp"
#include "snapshot_writer.hpp"
#include "state_support.hpp"

namespace nagare {
namespace {

using namespace state_testing;

// Two operators with many key groups (operator 0 streamed, operator 1 left
// in memory), and one with entries only.
snapshots big_sample() {
  snapshots s(3);
  for (uint32_t kg = 0; kg < 100; kg += 3) s[0].key_groups[kg] = std::string(kg + 1, 'a' + kg % 26);
  for (uint32_t kg = 1; kg < 60; kg += 7) s[1].key_groups[kg] = "group " + std::to_string(kg);
  s[1].extends = 4;
  s[2].entries = {"position", std::string(300, 'p')};
  for (auto& x : s) x.checkpoint = 9;
  return s;
}

struct encoded {
  std::string bytes;
  size_t frames = 0;
};

// Encodes `s` with frames of about `frame_bytes`: operator 0 writes its key
// groups through the encoder's writer, as an operator streaming them does.
encoded encode_streaming(snapshots s, size_t frame_bytes) {
  encoded out;
  snapshot_encoder e(
      s.size(),
      [&](std::string&& frame) {
        out.bytes += frame;
        ++out.frames;
        return status{};
      },
      frame_bytes);
  auto groups = std::move(s[0].key_groups);
  s[0].key_groups.clear();
  for (auto& [kg, bytes] : groups) e.writer(0)->write(kg, std::move(bytes));
  auto st = e.finish(s);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(e.bytes(), out.bytes.size());
  return out;
}

// A source of `bytes` cut into chunks of `chunk` bytes, counting reads.
snapshot_chunk_source chunked(std::shared_ptr<const std::string> bytes, size_t chunk,
                              std::shared_ptr<size_t> reads) {
  auto n = static_cast<uint32_t>((bytes->size() + chunk - 1) / chunk);
  return [=](uint32_t i) -> result<snapshot_chunk> {
    ++*reads;
    if (i >= n) return status::not_found("no chunk " + std::to_string(i));
    return snapshot_chunk{n, bytes->substr(size_t{i} * chunk, chunk)};
  };
}

std::map<uint32_t, std::string> visit(const detail::operator_snapshot& s) {
  std::map<uint32_t, std::string> got;
  auto st = s.for_each_key_group([&](uint32_t kg, const std::string& bytes) {
    EXPECT_TRUE(got.emplace(kg, bytes).second) << "key group " << kg << " twice";
    return status{};
  });
  EXPECT_TRUE(st.ok()) << st.message();
  return got;
}

// Many frames decode to exactly the snapshots put in, streamed and in-memory
// key groups alike.
TEST(snapshot_stream, frames_round_trip) {
  auto s = big_sample();
  auto e = encode_streaming(s, 64);
  EXPECT_GT(e.frames, 5u);
  auto d = decode_snapshots(e.bytes);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d.value(), s);
  // One frame when everything fits: the same snapshots.
  auto one = encode_streaming(s, size_t{1} << 20);
  EXPECT_EQ(one.frames, 1u);
  EXPECT_EQ(decode_snapshots(one.bytes).value(), s);
}

// Regression (snapshot_stream fuzz target, UBSan): frames at addresses that
// are not 8-byte aligned (in a buffer at any offset, or after a frame of odd
// length) are read from an aligned copy, never with misaligned loads.
TEST(snapshot_stream, misaligned_frames_are_read) {
  auto e = encode_streaming(big_sample(), 64);
  for (size_t shift = 1; shift < 8; ++shift) {
    std::string padded = std::string(shift, '\0') + e.bytes;
    auto d = decode_snapshots(std::string_view(padded).substr(shift));
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(d.value(), big_sample()) << "shifted by " << shift;
  }
}

// Every flipped byte of every frame, every truncation (also at a frame's
// end) and an appended byte are detected as damage.
TEST(snapshot_stream, detects_damage_in_every_frame) {
  auto e = encode_streaming(big_sample(), 200);
  ASSERT_GT(e.frames, 2u);
  for (size_t i = 0; i < e.bytes.size(); ++i) {
    auto damaged = e.bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    auto d = decode_snapshots(damaged);
    ASSERT_FALSE(d.ok()) << "flipped byte " << i << " of " << e.bytes.size();
    EXPECT_EQ(d.error().code(), errc::io_error);
  }
  for (size_t n = 0; n < e.bytes.size(); ++n)
    ASSERT_FALSE(decode_snapshots(std::string_view(e.bytes).substr(0, n)).ok())
        << "cut to " << n << " bytes";
  EXPECT_FALSE(decode_snapshots(e.bytes + '\0').ok());
  EXPECT_FALSE(decode_snapshots(e.bytes + e.bytes).ok()) << "a frame after the last";
}

// Reading from chunks keeps entries and links and leaves the kept key groups
// in the store: visiting reads them again, as often as asked, filtered.
TEST(snapshot_stream, reader_leaves_key_groups_in_the_store) {
  auto s = big_sample();
  auto bytes = std::make_shared<const std::string>(encode_streaming(s, 64).bytes);
  auto reads = std::make_shared<size_t>(0);
  snapshot_filter keep;
  keep.operators = {true, false, true};
  keep.first_key_group = 10;
  keep.end_key_group = 50;
  auto d = read_snapshot_stream(chunked(bytes, 37, reads), keep);
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->size(), 3u);
  const auto chunks = (bytes->size() + 36) / 37;
  EXPECT_EQ(*reads, chunks) << "one pass over the chunks";
  auto& op0 = (*d)[0];
  EXPECT_TRUE(op0.key_groups.empty()) << "left in the store";
  ASSERT_TRUE(op0.stored);
  std::map<uint32_t, std::string> expected;
  for (const auto& [kg, b] : s[0].key_groups)
    if (kg >= 10 && kg < 50) expected[kg] = b;
  EXPECT_EQ(visit(op0), expected);
  EXPECT_EQ(visit(op0), expected) << "visited twice";
  EXPECT_EQ(*reads, 3 * chunks);
  EXPECT_FALSE((*d)[1].has_key_groups()) << "not kept";
  EXPECT_EQ((*d)[1].extends, 4u);
  EXPECT_FALSE((*d)[2].stored) << "no key groups";
  EXPECT_EQ((*d)[2].entries, s[2].entries);
  EXPECT_EQ((*d)[2].checkpoint, 9u);

  // A stop asked for by the visitor is returned as it is.
  auto st = op0.for_each_key_group(
      [](uint32_t, const std::string&) { return status::invalid_argument("enough"); });
  EXPECT_EQ(st.message(), "enough");

  // Damage in a later chunk is found by the first pass, before any restore.
  auto damaged = std::make_shared<std::string>(*bytes);
  (*damaged)[damaged->size() - 5] ^= 1;
  EXPECT_FALSE(read_snapshot_stream(chunked(damaged, 37, reads), keep).ok());
  // A snapshot of one chunk is read whole into memory.
  auto whole = read_snapshot_stream(chunked(bytes, bytes->size(), reads), keep);
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE((*whole)[0].stored);
  EXPECT_EQ((*whole)[0].key_groups, expected);
}

// An operator that writes a key group not above its previous one is refused.
TEST(snapshot_stream, key_groups_out_of_order_are_refused) {
  snapshot_encoder e(1, [](std::string&&) { return status{}; });
  e.writer(0)->write(5, "a");
  e.writer(0)->write(5, "b");
  snapshots s(1);
  auto st = e.finish(s);
  EXPECT_EQ(st.code(), errc::invalid_argument) << st.message();

  snapshot_encoder kept_below(1, [](std::string&&) { return status{}; });
  kept_below.writer(0)->write(5, "a");
  s[0].key_groups[2] = "in memory, below";
  EXPECT_FALSE(kept_below.finish(s).ok());
}

// A sink's error stops the encoding and is what finish() returns.
TEST(snapshot_stream, sink_errors_are_returned) {
  snapshot_encoder e(
      1, [](std::string&&) { return status::io_error("disk full"); }, 8);
  e.writer(0)->write(1, std::string(100, 'x'));
  snapshots s(1);
  EXPECT_EQ(e.finish(s).message(), "disk full");
}

// A snapshot written chunk by chunk is stored only once finished; it then
// reads back whole, and replaces an earlier one with more chunks.
TEST(snapshot_stream, writer_stores_chunks_as_they_come) {
  auto store = checkpoint_store::open("");
  ASSERT_TRUE(store.ok());
  auto& cs = *store.value();
  std::string all;
  {
    snapshot_writer w(cs, 1, 7, 0, false, 10);
    for (int i = 0; i < 9; ++i) {
      auto piece = std::string(7, static_cast<char>('a' + i));
      ASSERT_TRUE(w.append(piece).ok());
      all += piece;
    }
    EXPECT_EQ(cs.snapshot(1, 7, 0).error().code(), errc::not_found) << "not finished";
    ASSERT_TRUE(w.finish({3, 5}).ok());
    EXPECT_EQ(w.chunks(), 7u);
    EXPECT_EQ(w.bytes(), all.size());
  }
  EXPECT_EQ(cs.snapshot(1, 7, 0).value(), all);
  EXPECT_EQ(cs.snapshot_needs(1, 7, 0).value(), (std::vector<uint64_t>{3, 5}));
  snapshot_writer shorter(cs, 1, 7, 0, false, 10);
  ASSERT_TRUE(shorter.append("0123456789abc").ok());
  ASSERT_TRUE(shorter.finish({}).ok());
  EXPECT_EQ(cs.snapshot(1, 7, 0).value(), "0123456789abc");
  EXPECT_EQ(cs.snapshot_chunk(1, 7, 0, 1).value().chunks, 2u);
}

using snapshot_stream_leveldb = on_leveldb;

// The leveldb backend streams its key groups (none stay in the snapshot)
// and restores from key groups left in the store, complete and delta alike:
// the restored backend holds what the model holds.
TEST_F(snapshot_stream_leveldb, keyed_state_streams_both_ways) {
  backend b;
  model m;
  std::vector<encoded> taken;
  for (uint64_t id = 1; id <= 2; ++id) {
    random_ops(b, m, 3000, 600, id * 31);
    encoded out;
    snapshot_encoder e(
        1,
        [&](std::string&& frame) {
          out.bytes += frame;
          ++out.frames;
          return status{};
        },
        1024);
    snapshots s(1);
    s[0].stream = e.writer(0);
    b.keyed.prepare_checkpoint(id);
    b.keyed.write_snapshot(s[0]);
    s[0].stream = nullptr;
    s[0].checkpoint = id;
    EXPECT_TRUE(s[0].key_groups.empty()) << "streamed, none kept";
    EXPECT_EQ(s[0].extends, id == 1 ? 0u : 1u);
    ASSERT_TRUE(e.finish(s).ok());
    EXPECT_GT(out.frames, 3u);
    taken.push_back(out);
    b.keyed.checkpoint_complete(id);
  }
  auto reads = std::make_shared<size_t>(0);
  snapshots chain;
  for (const auto& t : taken) {
    auto d = read_snapshot_stream(
        chunked(std::make_shared<const std::string>(t.bytes), 4096, reads), snapshot_filter{});
    ASSERT_TRUE(d.ok()) << d.error().message();
    ASSERT_TRUE(d->front().stored);
    chain.push_back(d->front());
  }
  backend r;
  auto st = r.restore(chain);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(r.contents(), m);
}

}  // namespace
}  // namespace nagare
