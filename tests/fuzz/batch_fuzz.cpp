// Fuzz target "batch": a batch as a task decodes it when it comes from
// another process (task_actor::on_batch): decode_batch_header, then the
// input gate's reader, typed_batch<T>::decode, with wordcount's keyed record
// (std::pair<std::string, uint64_t>).
//
// Invariants: an accepted header points inside the wire and claims no more
// records than payload bytes; an accepted batch has that many records, and
// encode_batch of them gives a wire that decodes to the same records with a
// payload identical to the one read (the codecs are canonical).
#include <string>
#include <utility>

#include "fuzz_support.hpp"
#include "messages.hpp"
#include "nagare/detail/batch.hpp"

namespace nagare::fuzz {

namespace {
constexpr const char* target = "batch";
using record = std::pair<std::string, uint64_t>;
using batch = detail::typed_batch<record>;
}  // namespace

int fuzz_batch(const uint8_t* data, size_t size) {
  const std::string wire(reinterpret_cast<const char*>(data), size);
  auto header = decode_batch_header(wire);
  if (!header.ok()) return 0;
  NAGARE_FUZZ_CHECK(target,
                    header->data >= wire.data() && header->size <= wire.size() &&
                        header->data + header->size == wire.data() + wire.size(),
                    "payload outside the wire");
  NAGARE_FUZZ_CHECK(target, header->count <= header->size, "more records than bytes");
  const std::string payload(header->data, header->size);

  auto decoded = batch::decode(header->data, header->size, header->count);
  if (!decoded.ok()) {
    NAGARE_FUZZ_CHECK(target, decoded.error().code() == errc::io_error, decoded.error().message());
    return 0;
  }
  const auto& records = static_cast<const batch&>(*decoded.value()).records;
  NAGARE_FUZZ_CHECK(target, records.size() == header->count, "record count differs");

  const auto again = encode_batch(*decoded.value());
  auto h2 = decode_batch_header(again);
  NAGARE_FUZZ_CHECK(target, h2.ok(), "re-encoded batch refused: " + h2.error().message());
  NAGARE_FUZZ_CHECK(target, std::string(h2->data, h2->size) == payload,
                    "re-encoded payload differs");
  auto d2 = batch::decode(h2->data, h2->size, h2->count);
  NAGARE_FUZZ_CHECK(target, d2.ok(), "re-encoded records refused: " + d2.error().message());
  NAGARE_FUZZ_CHECK(target, static_cast<const batch&>(*d2.value()).records == records,
                    "records differ after a round trip");
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_batch)
