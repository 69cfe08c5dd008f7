// Independent expectations for the dead letters of the bundled jobs: why the
// running_sum and window_count jobs reject a line (their documented reasons,
// computed here with plain loops and no Nagare code), the dead-letter lines
// they must write for given input files, and the per-subtask counts the
// source subtasks report on standard error.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nagare::testing {

// Why running_sum rejects `line` (as the text file source reads it): "no
// comma", "empty key" or "value is not a 64-bit integer"; "" if it accepts it.
std::string running_sum_rejection(const std::string& line);

// Why window_count rejects `line`: "not three comma-separated fields",
// "empty key", "timestamp is not a 64-bit integer" or "value is not a 64-bit
// integer" (the first that applies, in this order); "" if it accepts it.
std::string window_count_rejection(const std::string& line);

using rejection_fn = std::function<std::string(const std::string& line)>;

// The dead-letter lines a job writes for the input files `paths` with
// contents `texts` (file i is split "<i> <path>"): one
// "SPLIT<TAB>OFFSET<TAB>REASON<TAB>LINE" per line `reject` gives a reason,
// OFFSET the line's byte offset in its file, LINE without "\n" and "\r".
std::vector<std::string> expected_dead_letters(const std::vector<std::string>& paths,
                                               const std::vector<std::string>& texts,
                                               const rejection_fn& reject);

// The number of dead letters per source subtask at `parallelism`: file i is
// read by subtask i % parallelism.
std::vector<uint64_t> dead_letters_per_subtask(const std::vector<std::string>& texts,
                                               const rejection_fn& reject, uint32_t parallelism);

// Empty when `err` (a run's standard error) reports exactly `counts`: for
// every subtask s with counts[s] > 0 the line "<source> (s+1/p): N dead
// letter(s) ..." and for the others none; otherwise what differs.
std::string dead_letter_count_difference(const std::string& err, const std::string& source,
                                         const std::vector<uint64_t>& counts);

}  // namespace nagare::testing
