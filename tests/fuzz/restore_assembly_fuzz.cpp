// Fuzz target "restore_assembly": the snapshots a restoring task loads and
// assembles into chains (restore_assembly.hpp), following each operator's
// `extends` to earlier checkpoints. The restored checkpoint (7) had two
// tasks, 0 running operators "a" and "b", 1 running "b" and "c"; this task
// runs "b" and "c". The input is the bytes of each snapshot asked for, in
// the order asked, each as a std::string in Nagare's codec and resealed (its
// frames' checksums put right); a snapshot the input has no more bytes for
// could not be loaded.
//
// Invariants: every error is errc::corruption, names a snapshot asked for
// and sets damaged(); an assembly without error hands each operator of this
// task one chain per earlier task that ran it, each a complete snapshot and
// the deltas over it, linked by their checkpoints and ending at checkpoint 7.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "nagare/codec.hpp"
#include "restore_assembly.hpp"

namespace nagare::fuzz {

namespace {

constexpr const char* target = "restore_assembly";
constexpr uint64_t restored = 7;

}  // namespace

int fuzz_restore_assembly(const uint8_t* data, size_t size) {
  std::vector<stored_task> tasks(2);
  tasks[0].task = 0;
  tasks[0].state_keys = {"a", "b"};
  tasks[1].task = 1;
  tasks[1].state_keys = {"b", "c"};
  tasks[1].finished = true;
  restore_assembly a(restored, tasks, {"b", "c"}, 0, 128);

  byte_reader in(reinterpret_cast<const char*>(data), size);
  std::set<std::pair<uint64_t, uint32_t>> asked;
  status error;
  while (!a.done() && error.ok()) {
    auto refs = a.next();
    NAGARE_FUZZ_CHECK(target, !refs.empty(), "not done, and nothing to load");
    for (const auto& r : refs) {
      NAGARE_FUZZ_CHECK(target, r.checkpoint > 0 && r.checkpoint <= restored && r.task < 2,
                        "asks for a snapshot outside the checkpoint");
      asked.insert({r.checkpoint, r.task});
      std::string bytes;
      if (!codec<std::string>::decode(in, bytes)) {
        error = a.load_failed(r.checkpoint, r.task, "no bytes");
        break;
      }
      error = a.add(r.checkpoint, r.task, reseal_snapshot(std::move(bytes)));
      if (!error.ok()) break;
    }
  }
  if (!error.ok()) {
    NAGARE_FUZZ_CHECK(target, error.code() == errc::corruption, error.message());
    NAGARE_FUZZ_CHECK(target, a.damaged().has_value(), "an error without a damaged snapshot");
    NAGARE_FUZZ_CHECK(target, asked.count({a.damaged()->checkpoint, a.damaged()->task}) == 1,
                      "damage in a snapshot never asked for");
    NAGARE_FUZZ_CHECK(target, error.message().rfind("checkpoint ", 0) == 0,
                      "an error that names no snapshot: " + error.message());
    return 0;
  }
  NAGARE_FUZZ_CHECK(target, !a.damaged(), "damage without an error");
  NAGARE_FUZZ_CHECK(target, a.all_finished() == false, "task 0 had not finished");
  const auto per_operator = a.take();
  NAGARE_FUZZ_CHECK(target, per_operator.size() == 2, "not one list per operator");
  const size_t chains_expected[] = {2, 1};  // "b" ran in tasks 0 and 1, "c" in task 1
  for (size_t op = 0; op < 2; ++op) {
    const auto& list = per_operator[op];
    size_t chains = 0;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].extends == 0) {
        ++chains;
        NAGARE_FUZZ_CHECK(target, i == 0 || list[i - 1].checkpoint == restored,
                          "a chain that does not end at the restored checkpoint");
      } else {
        NAGARE_FUZZ_CHECK(target, i > 0 && list[i - 1].checkpoint == list[i].extends,
                          "a delta not after the snapshot it extends");
      }
    }
    NAGARE_FUZZ_CHECK(target, chains == chains_expected[op], "wrong number of chains");
    NAGARE_FUZZ_CHECK(target, !list.empty() && list.back().checkpoint == restored,
                      "the last chain does not end at the restored checkpoint");
  }
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_restore_assembly)
