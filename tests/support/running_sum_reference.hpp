// An independent RunningSum for tests: generated "key,value" input files and
// the lines the job must write for them, computed with plain loops and no
// Nagare code, plus a multiset comparison that explains its differences.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nagare::testing {

// The text of input file number `file` for `seed`: `lines` lines whose keys
// belong to this file only (so the expected sums do not depend on how the
// files interleave in the job), values of both signs with leading zeros and
// the 64-bit extremes (so sums wrap), about one malformed line in ten of
// every kind the job skips, LF and CRLF endings, and no final newline when
// `file` is odd.
std::string generate_running_sum_input(uint64_t seed, uint32_t file, size_t lines);

// The "key,sum" lines the job writes for these input texts (one per file),
// sorted; adds the number of malformed lines to `*malformed` if given. Keys
// shared between files are summed file by file in the given order, which is
// only one of the job's possible results: use files with their own keys.
std::vector<std::string> expected_running_sums(const std::vector<std::string>& texts,
                                               uint64_t* malformed = nullptr);

// Empty when `got` and `expected` are equal as multisets; otherwise the
// sizes and the first `limit` lines missing from `got` and unexpected in it.
std::string multiset_difference(std::vector<std::string> expected, std::vector<std::string> got,
                                size_t limit = 10);

}  // namespace nagare::testing
