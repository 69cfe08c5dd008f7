// Fuzz target "plan": a job plan as the coordinator decodes a submission's
// (job_registry.cpp: decode_plan, check_enumerators) and as it schedules and
// wires the job from it.
//
// Invariants: an accepted plan re-encodes to bytes that decode to a plan
// encoding the same; its channel layout is symmetric (output channel c of
// subtask s of v reaches a task whose input channel names (v, s, c) back,
// and a task has one input gate per input channel); a static enumerator the
// plan declares snapshots and restores to the same splits.
#include <algorithm>
#include <string>

#include "fuzz_support.hpp"
#include "job_master.hpp"
#include "plan.hpp"
#include "source/split_enumerator.hpp"

namespace nagare::fuzz {

namespace {

constexpr const char* target = "plan";

// Checks the channels of subtask s of vertex v against their peers (a few of
// them: a channel layout has parallelism^2 channels).
void check_channels(const physical_plan& p, uint32_t v, uint32_t s) {
  const auto outs = p.output_channels(v, s);
  for (size_t c = 0; c < outs.size(); c = c < 3 ? c + 1 : std::max(c + 1, outs.size() - 1)) {
    const auto& peer = outs[c];
    NAGARE_FUZZ_CHECK(target, peer.vertex < p.vertices.size(), "output to an unknown vertex");
    NAGARE_FUZZ_CHECK(target, peer.subtask < p.vertices[peer.vertex].parallelism,
                      "output to an unknown subtask");
    const auto ins = p.input_channels(peer.vertex, peer.subtask);
    NAGARE_FUZZ_CHECK(target, peer.channel < ins.size(), "output to an unknown input channel");
    const auto& back = ins[peer.channel];
    NAGARE_FUZZ_CHECK(target, back.vertex == v && back.subtask == s && back.channel == c,
                      "vertex " + std::to_string(v) + " subtask " + std::to_string(s) +
                          " channel " + std::to_string(c) + " is not named back");
  }
  NAGARE_FUZZ_CHECK(target, p.input_gates(v).size() == p.input_channels(v, s).size(),
                    "input gates and channels differ in number");
}

void check_enumerator(const enumerator_spec& spec) {
  auto made = make_split_enumerator(spec.kind, spec.config);
  if (!made.ok() || spec.kind != "static") return;  // "directory" would list a directory
  auto found = made.value()->discover();
  if (!found.ok()) return;
  auto again = make_split_enumerator(spec.kind, spec.config);
  NAGARE_FUZZ_CHECK(target, again.ok(), "an enumerator config read once is refused");
  auto restored = again.value()->restore(made.value()->snapshot());
  NAGARE_FUZZ_CHECK(target, restored.ok(), "own snapshot refused: " + restored.message());
  auto redealt = again.value()->discover();
  NAGARE_FUZZ_CHECK(target, redealt.ok() && redealt->size() == found->size(),
                    "a restore re-deals other splits");
  for (size_t i = 0; i < found->size(); ++i)
    NAGARE_FUZZ_CHECK(target, (*redealt)[i].id == (*found)[i].id, "split order changed");
}

}  // namespace

int fuzz_plan(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto plan = decode_plan(bytes);
  if (!plan.ok()) {
    NAGARE_FUZZ_CHECK(target, plan.error().code() == errc::invalid_argument,
                      plan.error().message());
    return 0;
  }
  const auto& p = plan.value();
  const auto encoded = encode_plan(p);
  auto again = decode_plan(encoded);
  NAGARE_FUZZ_CHECK(target, again.ok(), "re-encoded plan refused: " + again.error().message());
  NAGARE_FUZZ_CHECK(target, encode_plan(again.value()) == encoded,
                    "plan differs after a round trip");

  for (uint32_t v = 0; v < p.vertices.size(); ++v) {
    check_channels(p, v, 0);
    if (p.vertices[v].parallelism > 1) check_channels(p, v, p.vertices[v].parallelism - 1);
  }
  (void)describe(p);
  if (check_enumerators(p).ok())
    for (const auto& v : p.vertices)
      if (v.enumerator) check_enumerator(*v.enumerator);
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_plan)
