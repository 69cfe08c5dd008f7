// Batches on the wire: the FlatBuffers header plus codec payload that a
// batch becomes when it crosses a process boundary, and its CAF serialization.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "caf_suite.hpp"
#include "messages.hpp"
#include "nagare/detail/batch.hpp"

namespace nagare {
namespace {

using record = std::pair<std::string, uint64_t>;
using records = std::vector<record>;

std::shared_ptr<detail::typed_batch<record>> make_batch(records rs) {
  auto b = std::make_shared<detail::typed_batch<record>>();
  b->records = std::move(rs);
  return b;
}

// Decodes a wire batch back to its records; fails the test on error.
records decode_wire(const std::string& wire) {
  auto header = decode_batch_header(wire);
  if (!header.ok()) {
    ADD_FAILURE() << header.error().message();
    return {};
  }
  auto batch = detail::typed_batch<record>::decode(header->data, header->size, header->count);
  if (!batch.ok()) {
    ADD_FAILURE() << batch.error().message();
    return {};
  }
  return static_cast<detail::typed_batch<record>&>(*batch.value()).records;
}

const records sample{{"alpha", 1}, {"", 0}, {std::string(300, 'w'), ~uint64_t{0}}, {"z", 42}};

// A batch survives encode_batch, decode_batch_header and typed decode record for record.
TEST(batch_wire, round_trips) {
  auto wire = encode_batch(*make_batch(sample));
  auto header = decode_batch_header(wire);
  ASSERT_TRUE(header.ok()) << header.error().message();
  EXPECT_EQ(header->count, sample.size());
  EXPECT_EQ(decode_wire(wire), sample);
}

// The payload after the header is exactly the records in the job's codec.
TEST(batch_wire, payload_is_the_codec_encoding) {
  auto wire = encode_batch(*make_batch(sample));
  auto header = decode_batch_header(wire);
  ASSERT_TRUE(header.ok());
  std::string expected;
  for (const auto& r : sample) expected += encode(r);
  EXPECT_EQ(std::string(header->data, header->size), expected);
}

// An empty batch round-trips as zero records.
TEST(batch_wire, empty_batch_round_trips) {
  auto wire = encode_batch(*make_batch({}));
  auto header = decode_batch_header(wire);
  ASSERT_TRUE(header.ok()) << header.error().message();
  EXPECT_EQ(header->count, 0u);
  EXPECT_EQ(header->size, 0u);
  EXPECT_EQ(decode_wire(wire), records{});
}

// Anything shorter than the 4-byte header length is rejected.
TEST(batch_wire, too_short_is_rejected) {
  for (size_t n = 0; n < 4; ++n) EXPECT_FALSE(decode_batch_header(std::string(n, '\0')).ok()) << n;
}

// A header length beyond the batch is rejected.
TEST(batch_wire, header_length_overrun_is_rejected) {
  auto wire = encode_batch(*make_batch(sample));
  uint32_t huge = 0xfffffff0u;
  wire.replace(0, 4, reinterpret_cast<const char*>(&huge), 4);
  auto r = decode_batch_header(wire);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::io_error);
}

// A header whose FlatBuffers bytes are garbage is rejected.
TEST(batch_wire, garbage_header_is_rejected) {
  auto wire = encode_batch(*make_batch(sample));
  for (uint32_t i = 0; i < 4; ++i) wire[4 + i] = '\xff';  // the root offset
  auto r = decode_batch_header(wire);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::io_error);
  // And a zero-length header.
  std::string empty_header(4, '\0');
  empty_header += "payload";
  EXPECT_FALSE(decode_batch_header(empty_header).ok());
}

// A payload one byte short of (or longer than) what the header says is rejected.
TEST(batch_wire, payload_size_mismatch_is_rejected) {
  auto wire = encode_batch(*make_batch(sample));
  auto truncated = wire.substr(0, wire.size() - 1);
  auto r = decode_batch_header(truncated);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::io_error);
  EXPECT_FALSE(decode_batch_header(wire + "x").ok());
}

// Typed decode rejects a count larger than the payload holds.
TEST(batch_wire, typed_decode_rejects_too_few_bytes) {
  std::string payload;
  for (const auto& r : sample) payload += encode(r);
  auto b = detail::typed_batch<record>::decode(payload.data(), payload.size(), sample.size() + 1);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code(), errc::io_error);
}

// Typed decode rejects bytes left over after `count` records.
TEST(batch_wire, typed_decode_rejects_trailing_bytes) {
  std::string payload;
  for (const auto& r : sample) payload += encode(r);
  auto b = detail::typed_batch<record>::decode(payload.data(), payload.size(), sample.size() - 1);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code(), errc::io_error);
}

// Typed decode rejects a payload cut anywhere inside its records.
TEST(batch_wire, typed_decode_rejects_every_truncation) {
  std::string payload;
  for (const auto& r : sample) payload += encode(r);
  for (size_t n = 0; n < payload.size(); ++n) {
    std::vector<char> cut(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(detail::typed_batch<record>::decode(cut.data(), cut.size(), sample.size()).ok())
        << n;
  }
}

// A record type that counts how many objects decoding constructs.
struct counted_record {
  static inline size_t constructed = 0;
  uint8_t value = 0;
  counted_record() { ++constructed; }
};

}  // namespace

template <>
struct codec<counted_record> {
  static void encode(const counted_record& x, std::string& out) {
    out.push_back(static_cast<char>(x.value));
  }
  static bool decode(byte_reader& in, counted_record& x) { return in.read(&x.value, 1); }
};

namespace {

// Regression: a damaged header (count 0xffffffff, a few payload bytes) once
// made the receiver allocate billions of records. Every record takes at least
// one byte, so a count above the payload size is refused before allocating.
TEST(batch_wire, typed_decode_bounds_the_record_count_by_the_payload) {
  std::string payload(3, '\x01');
  counted_record::constructed = 0;
  auto b = detail::typed_batch<counted_record>::decode(payload.data(), payload.size(), 1000000);
  EXPECT_FALSE(b.ok());
  EXPECT_LE(counted_record::constructed, payload.size());
}

using batch_wire_caf = testing::caf_suite;

// A serialized batch arrives with `records` empty and `wire` decodable to the same records.
TEST_F(batch_wire_caf, serialized_batch_arrives_as_wire) {
  batch_message in{7, make_batch(sample), ""};
  std::vector<char> buf;
  caf::binary_serializer sink(sys(), buf);
  ASSERT_FALSE(sink(in));

  batch_message out;
  out.records = make_batch({{"stale", 1}});  // deserializing must drop any old objects
  caf::binary_deserializer source(sys(), buf);
  ASSERT_FALSE(source(out));
  EXPECT_EQ(out.channel, 7u);
  EXPECT_EQ(out.records, nullptr);
  EXPECT_EQ(decode_wire(out.wire), sample);
  // The sender's batch is untouched.
  EXPECT_EQ(in.records->size(), sample.size());
}

// A batch received as wire bytes is forwarded with the same bytes.
TEST_F(batch_wire_caf, wire_only_batch_reserializes_unchanged) {
  auto wire = encode_batch(*make_batch(sample));
  batch_message in{3, nullptr, wire};
  std::vector<char> buf;
  caf::binary_serializer sink(sys(), buf);
  ASSERT_FALSE(sink(in));
  batch_message out;
  caf::binary_deserializer source(sys(), buf);
  ASSERT_FALSE(source(out));
  EXPECT_EQ(out.channel, 3u);
  EXPECT_EQ(out.wire, wire);
}

// A batch inside a caf::message (the path BASP takes) arrives as the registered type with its wire
// set.
TEST_F(batch_wire_caf, batch_in_a_message_round_trips) {
  auto msg = caf::make_message(batch_message{5, make_batch(sample), ""});
  std::vector<char> buf;
  caf::binary_serializer sink(sys(), buf);
  ASSERT_FALSE(sink(msg));
  caf::message got;
  caf::binary_deserializer source(sys(), buf);
  ASSERT_FALSE(source(got));
  ASSERT_TRUE(got.match_elements<batch_message>());
  const auto& b = got.get_as<batch_message>(0);
  EXPECT_EQ(b.channel, 5u);
  EXPECT_EQ(b.records, nullptr);
  EXPECT_EQ(decode_wire(b.wire), sample);
}

}  // namespace
}  // namespace nagare
