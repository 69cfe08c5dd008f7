// Fuzz target "checkpoint_record": the checkpoint store's stored values
// (checkpoint_record.hpp) as a restarted coordinator reads them: the record
// of checkpoint 7 of job 1, and a snapshot's index; and a static split
// enumerator restored from each source snapshot a record holds (what the job
// master does on a restore). Each is decoded as it is and with its checksum
// put right.
//
// Invariants: damage is an io_error; an accepted record re-encodes to a
// record that decodes equal; an accepted index re-encodes to the very bytes
// it was read from (so its needs ascend and its flag is 0 or 1); an
// enumerator snapshot it accepts is what it snapshots again.
#include <string>

#include "checkpoint_record.hpp"
#include "fuzz_support.hpp"
#include "source/split_enumerator.hpp"
#include "source/static_enumerator.hpp"

namespace nagare::fuzz {

namespace {

constexpr const char* target = "checkpoint_record";

void check_record(const std::string& bytes) {
  auto r = decode_checkpoint_record(1, 7, bytes);
  if (!r.ok()) {
    NAGARE_FUZZ_CHECK(target, r.error().code() == errc::io_error, r.error().message());
    return;
  }
  const auto encoded = encode_checkpoint_record(r.value());
  auto again = decode_checkpoint_record(1, 7, encoded);
  NAGARE_FUZZ_CHECK(target, again.ok(), "re-encoded record refused: " + again.error().message());
  NAGARE_FUZZ_CHECK(target, again.value() == r.value(), "record differs after a round trip");
  for (const auto& src : r->sources) {
    auto e = make_split_enumerator("static", static_enumerator_config({}));
    NAGARE_FUZZ_CHECK(target, e.ok(), "no static enumerator");
    if (!e.value()->restore(src.snapshot).ok()) continue;
    NAGARE_FUZZ_CHECK(target, e.value()->snapshot() == src.snapshot,
                      "an enumerator snapshot differs once restored");
  }
}

void check_index(const std::string& bytes) {
  auto x = decode_snapshot_index(bytes);
  if (!x.ok()) {
    NAGARE_FUZZ_CHECK(target, x.error().code() == errc::io_error, x.error().message());
    return;
  }
  NAGARE_FUZZ_CHECK(target, encode_snapshot_index(x.value()) == bytes,
                    "index re-encodes to other bytes");
}

}  // namespace

int fuzz_checkpoint_record(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  check_record(bytes);
  check_index(bytes);
  reseal(bytes, 0, bytes.size());
  check_record(bytes);
  check_index(bytes);
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_checkpoint_record)
