// Fuzz target "record_codec": the record codecs of the public API
// (nagare/codec.hpp, and those of dead_letter.hpp, flat.hpp, tuple.hpp) as
// batches, snapshots and state read them: values of one type back to back
// until the bytes end or one is malformed. The first byte picks the type.
//
// Invariant: every value decoded re-encodes to exactly the bytes it was read
// from (one encoding per value, so a value read is the value written), and
// those bytes decode again to a value that re-encodes the same.
#include <cstring>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "nagare/codec.hpp"
#include "nagare/dead_letter.hpp"
#include "nagare/flat.hpp"
#include "nagare/tuple.hpp"
#include "plan_generated.h"

namespace nagare::fuzz {

namespace {

constexpr const char* target = "record_codec";

template <class T>
void values_of(const std::string& bytes) {
  byte_reader in(bytes.data(), bytes.size());
  size_t at = 0;
  while (in.remaining() > 0) {
    T x{};
    if (!codec<T>::decode(in, x)) return;
    const size_t end = bytes.size() - in.remaining();
    const std::string read = bytes.substr(at, end - at);
    NAGARE_FUZZ_CHECK(target, end > at || bytes.empty(), "a value of no bytes");
    const std::string again = encode(x);
    NAGARE_FUZZ_CHECK(target, again == read,
                      "value at byte " + std::to_string(at) + " re-encodes to other bytes");
    T y{};
    byte_reader in2(again.data(), again.size());
    NAGARE_FUZZ_CHECK(target, codec<T>::decode(in2, y) && in2.remaining() == 0,
                      "a re-encoded value does not decode");
    NAGARE_FUZZ_CHECK(target, encode(y) == again, "decoding is not stable");
    at = end;
  }
}

}  // namespace

int fuzz_record_codec(const uint8_t* data, size_t size) {
  input in(data, size);
  const uint8_t kind = in.byte();
  const std::string bytes = in.rest();
  switch (kind % 12) {
    case 0:
      values_of<std::string>(bytes);
      break;
    case 1:
      values_of<uint64_t>(bytes);
      break;
    case 2:
      values_of<bool>(bytes);
      break;
    case 3:
      values_of<std::optional<std::string>>(bytes);
      break;
    case 4:
      values_of<std::vector<std::string>>(bytes);
      break;
    case 5:
      values_of<std::pair<std::string, int64_t>>(bytes);
      break;
    case 6:
      values_of<std::vector<std::optional<std::pair<uint32_t, bool>>>>(bytes);
      break;
    case 7:
      values_of<std::tuple<int32_t, std::string, double>>(bytes);
      break;
    case 8:
      values_of<dead_letter>(bytes);
      break;
    case 9:
      values_of<flat<fb::JobPlan>>(bytes);
      break;
    case 10:
      values_of<std::vector<std::vector<uint64_t>>>(bytes);
      break;
    default:
      values_of<std::pair<std::optional<uint64_t>, std::vector<int16_t>>>(bytes);
      break;
  }
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_record_codec)
