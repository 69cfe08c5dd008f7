// Generated input files for the window_count job ("timestamp_ms,key,value"
// lines), out of order in controlled ways, that expected_windows()
// (window_reference.hpp) accepts as deterministic.
#pragma once

#include <cstdint>
#include <string>

#include "window_reference.hpp"

namespace nagare::testing {

struct window_input_options {
  uint64_t seed = 1;
  size_t lines = 10000;
  uint32_t keys = 20;
  std::string key_prefix = "k";       // keys are key_prefix + number (a few have odd characters)
  int64_t start = 1'700'000'000'000;  // timestamp of the first record
  int64_t mean_step = 5;              // mean advance of the max timestamp per record, in ms
  int64_t bound = 1000;               // the job's --out-of-orderness
  double behind = 0.3;                // records behind the max, within the bound
  double beyond = 0.0;                // records behind the max by more than the bound
  int64_t beyond_range = 60000;       // how far beyond the bound they reach at most, in ms
  double malformed = 0.0;             // malformed lines (all kinds the job skips)
  int64_t timestamp_multiple = 1;     // every timestamp a multiple of this
  bool final_newline = true;
  // The job's window and lateness: records whose outcome would depend on the
  // engine's watermark lag are replaced by others (see window_reference.hpp).
  window_spec spec = window_spec::tumbling(10000);
  int64_t lateness = 0;
};

// The text of one input file. The same options give the same text.
// Every record is checked against the two simulations of expected_windows()
// for a single file, so a single generated file is always valid; several
// files generated with beyond == 0 are valid for time windows, for count
// windows when their key prefixes differ, and for sessions when the gap is
// not a multiple of timestamp_multiple.
std::string generate_window_input(const window_input_options& options);

}  // namespace nagare::testing
