// Record codecs: every built-in codec round-trips, and malformed bytes make
// decode fail instead of reading past the end.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include <utility>
#include <vector>
#include "nagare/tuple.hpp"

#include "nagare/codec.hpp"
#include "nagare/flat.hpp"
#include "plan_generated.h"

namespace nagare {
namespace {

struct point {
  int32_t x;
  double y;
  char tag;
  bool operator==(const point& o) const { return x == o.x && y == o.y && tag == o.tag; }
};

// Decodes `bytes` as a T; also fails unless every byte was consumed.
template <class T>
bool decode_all(const std::string& bytes, T& out) {
  byte_reader in(bytes.data(), bytes.size());
  return codec<T>::decode(in, out) && in.remaining() == 0;
}

template <class T>
T round_trip(const T& value) {
  T out{};
  EXPECT_TRUE(decode_all(encode(value), out));
  return out;
}

// Strings of every length class keep their exact bytes, NULs and high bytes included.
TEST(codec, string_round_trips) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  std::string long_text(300000, 'x');
  long_text[123456] = '\0';
  for (const std::string& s : {std::string(), std::string("a"), std::string(127, 'b'),
                               std::string(128, 'c'), binary, long_text})
    EXPECT_EQ(round_trip(s), s) << "length " << s.size();
}

// A string's length prefix is a varint: 1 byte below 128, 2 bytes from 128.
TEST(codec, string_length_is_a_varint) {
  EXPECT_EQ(encode(std::string()), std::string(1, '\0'));
  EXPECT_EQ(encode(std::string(127, 'z')).size(), 128u);
  EXPECT_EQ(encode(std::string(128, 'z')).substr(0, 2), std::string("\x80\x01"));
}

// Trivially copyable values are encoded as their bytes and come back unchanged.
TEST(codec, trivially_copyable_round_trips) {
  EXPECT_EQ(round_trip(uint64_t{0xfedcba9876543210ULL}), 0xfedcba9876543210ULL);
  EXPECT_EQ(round_trip(int32_t{-7}), -7);
  EXPECT_EQ(round_trip(2.5), 2.5);
  EXPECT_EQ(encode(uint32_t{1}).size(), 4u);
  point p{-3, 0.125, 'q'};
  EXPECT_EQ(round_trip(p), p);
}

// Pairs, tuples and vectors encode their elements in order.
TEST(codec, containers_round_trip) {
  std::pair<std::string, uint64_t> pr{"word", 42};
  EXPECT_EQ(round_trip(pr), pr);
  std::tuple<std::string, int32_t, std::string> t{"", -1, "third"};
  EXPECT_EQ(round_trip(t), t);
  std::vector<uint32_t> empty;
  EXPECT_EQ(round_trip(empty), empty);
  std::vector<std::string> words{"a", "", "ccc", std::string(1000, 'd')};
  EXPECT_EQ(round_trip(words), words);
}

// An optional keeps both presence and value.
TEST(codec, optional_round_trips) {
  std::optional<std::string> none;
  std::optional<std::string> some("value");
  std::optional<std::string> empty_value("");
  EXPECT_EQ(round_trip(none), none);
  EXPECT_EQ(round_trip(some), some);
  EXPECT_EQ(round_trip(empty_value), empty_value);
}

// Optionals, pairs and tuples of trivially copyable types use their own codec
// (they are trivially copyable themselves, which once made codec<std::optional<int>> ambiguous).
TEST(codec, optional_of_trivially_copyable_round_trips) {
  std::optional<int32_t> some(5), none;
  EXPECT_EQ(round_trip(some), some);
  EXPECT_EQ(round_trip(none), none);
  EXPECT_EQ(encode(none).size(), 1u);
  std::vector<std::optional<uint64_t>> v{1, std::nullopt, 3};
  EXPECT_EQ(round_trip(v), v);
  std::pair<int32_t, std::optional<double>> p{-1, 0.5};
  EXPECT_EQ(round_trip(p), p);
  std::tuple<uint8_t, int64_t> t{7, -9};
  EXPECT_EQ(round_trip(t), t);
  EXPECT_EQ(encode(t).size(), 9u) << "elements back to back, no padding";
}

// Containers nest: a vector of pairs of optionals and vectors.
TEST(codec, nested_containers_round_trip) {
  using rec = std::pair<std::optional<std::string>, std::vector<std::pair<std::string, double>>>;
  std::vector<rec> v{
      {std::nullopt, {}},
      {std::string("k"), {{"x", 1.5}, {"", -0.0}}},
      {std::string(""), {{std::string(200, 'y'), 3.0}}},
  };
  EXPECT_EQ(round_trip(v), v);
  std::vector<std::vector<std::string>> vv{{}, {"a"}, {"b", "c"}};
  EXPECT_EQ(round_trip(vv), vv);
}

// Several values written back to back are read back in order from one reader.
TEST(codec, values_decode_back_to_back) {
  std::string bytes;
  codec<std::string>::encode("first", bytes);
  codec<uint16_t>::encode(uint16_t{513}, bytes);
  codec<std::string>::encode("", bytes);
  byte_reader in(bytes.data(), bytes.size());
  std::string a, c;
  uint16_t b = 0;
  ASSERT_TRUE(codec<std::string>::decode(in, a));
  ASSERT_TRUE(codec<uint16_t>::decode(in, b));
  ASSERT_TRUE(codec<std::string>::decode(in, c));
  EXPECT_EQ(a, "first");
  EXPECT_EQ(b, 513);
  EXPECT_EQ(c, "");
  EXPECT_EQ(in.remaining(), 0u);
}

// Every strict prefix of a valid encoding is rejected (truncation never overruns).
TEST(codec, truncated_input_is_rejected) {
  std::vector<std::pair<std::string, std::optional<std::string>>> v{
      {"alpha", "1"}, {"", std::nullopt}, {"gamma", "3"}};
  auto bytes = encode(v);
  for (size_t n = 0; n < bytes.size(); ++n) {
    // Copy into an exact-size heap buffer so a sanitizer build sees any overrun.
    std::vector<char> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    byte_reader in(prefix.data(), prefix.size());
    decltype(v) out;
    EXPECT_FALSE(codec<decltype(v)>::decode(in, out)) << "prefix of " << n << " bytes";
  }
}

// A truncated fixed-size value is rejected.
TEST(codec, truncated_scalar_is_rejected) {
  auto bytes = encode(uint64_t{99});
  uint64_t out = 0;
  byte_reader in(bytes.data(), 7);
  EXPECT_FALSE(codec<uint64_t>::decode(in, out));
}

// A string length far beyond the input is rejected before anything is allocated.
TEST(codec, huge_string_length_is_rejected) {
  std::string bytes;
  write_varint(bytes, uint64_t{1} << 62);
  bytes += "abc";
  std::string out;
  EXPECT_FALSE(decode_all(bytes, out));
}

// A vector length far beyond the input is rejected before anything is allocated.
TEST(codec, huge_vector_length_is_rejected) {
  std::string bytes;
  write_varint(bytes, ~uint64_t{0});
  bytes += "abc";
  std::vector<uint8_t> out;
  EXPECT_FALSE(decode_all(bytes, out));
}

// A vector whose count is plausible but whose elements run out is rejected.
TEST(codec, vector_with_missing_elements_is_rejected) {
  std::string bytes;
  write_varint(bytes, 3);
  codec<uint32_t>::encode(uint32_t{1}, bytes);  // only 4 of the 12 bytes the count implies
  std::vector<uint32_t> out;
  EXPECT_FALSE(decode_all(bytes, out));
}

// A varint that never terminates (continuation bit on every byte) is rejected.
TEST(codec, unterminated_varint_is_rejected) {
  std::string bytes(20, '\xff');
  std::string out;
  EXPECT_FALSE(decode_all(bytes, out));
  uint64_t v = 0;
  byte_reader in(bytes.data(), 3);
  EXPECT_FALSE(in.read_varint(v));
}

// write_varint and read_varint agree at the boundaries of every byte count.
TEST(codec, varint_round_trips) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{16383},
                     uint64_t{16384}, uint64_t{1} << 35, ~uint64_t{0}}) {
    std::string bytes;
    write_varint(bytes, v);
    byte_reader in(bytes.data(), bytes.size());
    uint64_t out = 0;
    ASSERT_TRUE(in.read_varint(out)) << v;
    EXPECT_EQ(out, v);
    EXPECT_EQ(in.remaining(), 0u);
  }
  std::string max_bytes;
  write_varint(max_bytes, ~uint64_t{0});
  EXPECT_EQ(max_bytes.size(), 10u);
}

// An optional whose presence byte says "present" but has no value is rejected.
TEST(codec, optional_missing_value_is_rejected) {
  std::string bytes(1, '\1');
  std::optional<std::string> out;
  EXPECT_FALSE(decode_all(bytes, out));
  std::string nothing;
  EXPECT_FALSE(decode_all(nothing, out));
}

// Regression: bool was once decoded as raw bytes, so 0x02 became an invalid
// bool (undefined behaviour on every later read). Only 0 and 1 are accepted.
TEST(codec, invalid_bool_byte_is_rejected) {
  std::string bytes(1, '\x02');
  bool out = false;
  EXPECT_FALSE(decode_all(bytes, out));
}

// Regression (batch and record_codec fuzz targets): a varint longer than
// needed ("\xff\x00" for 127) or above 64 bits, and an optional whose
// presence byte is neither 0 nor 1, were read, so a value had several
// encodings and a batch decoded to records that encode to other bytes. Each
// value now has the one encoding write_varint and encode() write.
TEST(codec, non_canonical_encodings_are_rejected) {
  for (const std::string& bytes :
       {std::string("\xff\x00", 2), std::string("\x80\x00", 2), std::string("\x81\x80\x00", 3),
        std::string(9, '\xff') + '\x02'}) {
    byte_reader in(bytes.data(), bytes.size());
    uint64_t v = 0;
    EXPECT_FALSE(in.read_varint(v)) << "varint of " << bytes.size() << " bytes";
  }
  std::string zero(1, '\0');
  byte_reader in(zero.data(), zero.size());
  uint64_t v = 1;
  EXPECT_TRUE(in.read_varint(v));
  EXPECT_EQ(v, 0u);
  std::optional<uint8_t> out;
  EXPECT_FALSE(decode_all(std::string("\x07\x01", 2), out));
  EXPECT_FALSE(decode_all(std::string("\xff", 1), out));
  EXPECT_TRUE(decode_all(std::string("\x01\x01", 2), out));
  EXPECT_EQ(out, std::optional<uint8_t>(1));
}

flatbuffers::FlatBufferBuilder small_plan(const std::string& name, uint64_t fingerprint) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<uint32_t> ops{0, 1};
  std::vector<flatbuffers::Offset<fb::Vertex>> vs{
      fb::CreateVertex(b, 0, b.CreateString("source -> map"), b.CreateVector(ops), 3, true)};
  b.Finish(fb::CreateJobPlan(b, b.CreateString(name), 64, b.CreateVector(vs), 0, fingerprint));
  return b;
}

// A FlatBuffers record round-trips through its codec and its fields read back.
TEST(codec, flat_table_round_trips) {
  auto b = small_plan("job-x", 0x1122334455667788ULL);
  flat<fb::JobPlan> rec(b);
  ASSERT_TRUE(rec.verify());
  flat<fb::JobPlan> out;
  ASSERT_TRUE(decode_all(encode(rec), out));
  EXPECT_EQ(out.bytes(), rec.bytes());
  EXPECT_EQ(out->job_name()->str(), "job-x");
  EXPECT_EQ(out->max_parallelism(), 64u);
  EXPECT_EQ(out->fingerprint(), 0x1122334455667788ULL);
  ASSERT_EQ(out->vertices()->size(), 1u);
  EXPECT_EQ(out->vertices()->Get(0)->name()->str(), "source -> map");
  EXPECT_EQ(out->vertices()->Get(0)->parallelism(), 3u);
}

// A FlatBuffers record inside a container round-trips too.
TEST(codec, flat_table_in_a_pair_round_trips) {
  std::pair<std::string, flat<fb::JobPlan>> rec{"key", flat<fb::JobPlan>(small_plan("p", 1))};
  std::pair<std::string, flat<fb::JobPlan>> out;
  ASSERT_TRUE(decode_all(encode(rec), out));
  EXPECT_EQ(out.first, "key");
  EXPECT_EQ(out.second->job_name()->str(), "p");
}

// A FlatBuffers record whose root offset points outside the buffer fails verification.
TEST(codec, flat_table_with_bad_root_offset_is_rejected) {
  auto bytes = flat<fb::JobPlan>(small_plan("job", 7)).bytes();
  bytes[0] = '\xf0';
  bytes[1] = '\xff';
  bytes[2] = '\xff';
  bytes[3] = '\x7f';
  flat<fb::JobPlan> out;
  EXPECT_FALSE(decode_all(encode(flat<fb::JobPlan>(bytes)), out));
}

// A FlatBuffers record cut short fails verification.
TEST(codec, flat_table_truncated_is_rejected) {
  auto bytes = flat<fb::JobPlan>(small_plan("a longer job name", 7)).bytes();
  flat<fb::JobPlan> out;
  EXPECT_FALSE(decode_all(encode(flat<fb::JobPlan>(bytes.substr(0, bytes.size() / 2))), out));
  EXPECT_FALSE(decode_all(encode(flat<fb::JobPlan>(std::string())), out));
}

// A FlatBuffers record whose string length field is damaged fails verification.
TEST(codec, flat_table_with_damaged_string_is_rejected) {
  auto bytes = flat<fb::JobPlan>(small_plan("job-name-to-damage", 7)).bytes();
  auto at = bytes.find("job-name-to-damage");
  ASSERT_NE(at, std::string::npos);
  ASSERT_GE(at, 4u);
  // The uint32 length sits right before a FlatBuffers string's bytes.
  bytes[at - 4] = '\xff';
  bytes[at - 3] = '\xff';
  flat<fb::JobPlan> out;
  EXPECT_FALSE(decode_all(encode(flat<fb::JobPlan>(bytes)), out));
}

}  // namespace
}  // namespace nagare
