// Fuzz target "snapshot_stream": a task's stored snapshot as a restore reads
// it (snapshot_stream.hpp): whole, in memory (decode_snapshot_stream, what
// restore_assembly::add does), and chunk by chunk from a store
// (read_snapshot_stream, key groups read back when visited). The input is
// the stream; it is read as it is and with every frame's checksum put right.
//
// Invariants: damage is an io_error; both readers agree (the same error or
// the same operators, entries, links and key groups); a filtered read keeps
// exactly the operators and key groups asked for; what was read encodes
// (encode_snapshots) to a stream that reads back the same.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "snapshot_stream.hpp"
#include "task_chain.hpp"

namespace nagare::fuzz {

namespace {

constexpr const char* target = "snapshot_stream";
using snapshots = std::vector<detail::operator_snapshot>;

// Every key group of an operator, those left stored included.
std::map<uint32_t, std::string> key_groups_of(const detail::operator_snapshot& s) {
  std::map<uint32_t, std::string> out;
  auto st = s.for_each_key_group([&](uint32_t kg, const std::string& bytes) {
    NAGARE_FUZZ_CHECK(target, out.emplace(kg, bytes).second, "a key group visited twice");
    return status{};
  });
  NAGARE_FUZZ_CHECK(target, st.ok(), "stored key groups unreadable: " + st.message());
  return out;
}

// Reads the stream in three chunks from a "store".
result<snapshots> read_chunked(const std::string& bytes, const snapshot_filter& keep) {
  auto shared = std::make_shared<const std::string>(bytes);
  const size_t piece = bytes.size() / 3 + 1;
  const uint32_t chunks = static_cast<uint32_t>((bytes.size() + piece - 1) / piece);
  auto source = [shared, piece, chunks](uint32_t i) -> result<snapshot_chunk> {
    if (i >= chunks) return status::io_error("no chunk " + std::to_string(i));
    return snapshot_chunk{chunks, shared->substr(i * piece, piece)};
  };
  return read_snapshot_stream(source, keep);
}

void check(const std::string& bytes) {
  auto whole = decode_snapshot_stream(bytes, {});
  auto chunked = read_chunked(bytes, {});
  if (!whole.ok()) {
    NAGARE_FUZZ_CHECK(target, whole.error().code() == errc::io_error, whole.error().message());
    NAGARE_FUZZ_CHECK(target, !chunked.ok(), "only the chunked reader accepts the stream");
    return;
  }
  NAGARE_FUZZ_CHECK(target, chunked.ok(),
                    "only the whole reader accepts the stream: " + chunked.error().message());
  const auto& ops = whole.value();
  NAGARE_FUZZ_CHECK(target, chunked->size() == ops.size(), "readers differ in operators");
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto& c = (*chunked)[i];
    NAGARE_FUZZ_CHECK(target,
                      c.entries == ops[i].entries && c.extends == ops[i].extends &&
                          c.checkpoint == ops[i].checkpoint,
                      "readers differ on operator " + std::to_string(i));
    NAGARE_FUZZ_CHECK(target, key_groups_of(c) == ops[i].key_groups,
                      "readers differ in the key groups of operator " + std::to_string(i));
  }

  // A filter: the last operator only, the upper half of its key groups.
  if (!ops.empty()) {
    snapshot_filter keep;
    keep.operators.assign(ops.size(), false);
    keep.operators.back() = true;
    const auto& all = ops.back().key_groups;
    keep.first_key_group = all.empty() ? 0 : all.rbegin()->first / 2;
    auto some = decode_snapshot_stream(bytes, keep);
    NAGARE_FUZZ_CHECK(target, some.ok() && some->size() == ops.size(), "a filtered read fails");
    for (size_t i = 0; i + 1 < ops.size(); ++i)
      NAGARE_FUZZ_CHECK(target, (*some)[i].key_groups.empty() && (*some)[i].entries.empty(),
                        "a filtered read keeps an operator not asked for");
    std::map<uint32_t, std::string> expected(all.lower_bound(keep.first_key_group), all.end());
    NAGARE_FUZZ_CHECK(target, some->back().key_groups == expected, "filtered key groups differ");
  }

  auto again = decode_snapshots(encode_snapshots(ops));
  NAGARE_FUZZ_CHECK(target, again.ok(), "re-encoded snapshot refused: " + again.error().message());
  NAGARE_FUZZ_CHECK(target, again.value() == ops, "snapshot differs after a round trip");
}

}  // namespace

int fuzz_snapshot_stream(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  check(bytes);
  const auto sealed = reseal_snapshot(bytes);
  if (sealed != bytes) check(sealed);
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_snapshot_stream)
