// Splits for tests that drive source readers without a job master: what
// the master would deal subtask s of p from a descriptor's enumerator.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "nagare/split.hpp"
#include "plan.hpp"
#include "source/split_assigner.hpp"
#include "source/split_enumerator.hpp"

namespace nagare::testing {

// Subtask s of p's splits, from the enumerator of the first run at
// parallelism `first` (0: p), dealt as a (re)start at p deals them.
template <class Source>
std::vector<source_split> splits_of(const Source& source, uint32_t s, uint32_t p,
                                    uint32_t first = 0) {
  auto spec = source.enumerator(first ? first : p);
  auto e = make_split_enumerator(spec.kind, spec.config);
  EXPECT_TRUE(e.ok()) << e.error().message();
  if (!e.ok()) return {};
  auto found = e.value()->discover();
  EXPECT_TRUE(found.ok());
  split_assigner a(p);
  return a.assign(found.value())[s];
}

// What the job master deals subtask s of vertex v of a plan (none for a
// vertex without an enumerator).
inline std::vector<source_split> plan_splits(const physical_plan& p, uint32_t v, uint32_t s) {
  const auto& vx = p.vertices[v];
  if (!vx.enumerator) return {};
  auto e = make_split_enumerator(vx.enumerator->kind, vx.enumerator->config);
  EXPECT_TRUE(e.ok()) << e.error().message();
  if (!e.ok()) return {};
  split_assigner a(vx.parallelism);
  return a.assign(e.value()->discover().value())[s];
}

// Hands a reader (or a source operator) its splits and says no more come.
template <class Reader>
void give_splits(Reader& r, std::vector<source_split> splits) {
  r.add_splits(std::move(splits));
  r.no_more_splits();
}

}  // namespace nagare::testing
