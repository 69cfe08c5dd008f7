// Fault injection on files as a disk or a careless hand would damage them,
// for tests of what Nagare does with damaged files (docs/operations.md,
// "Damaged files"). Failures to set the damage up fail the calling test.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nagare::testing {

// Moves everything of the LevelDB in dir into table files (*.ldb): opens it,
// compacts its whole key range and closes it. No process may have it open.
// Returns the table files' paths.
std::vector<std::string> compact_leveldb(const std::string& dir);

// Flips every bit of the byte at each offset of the file, in place (offsets
// past its end are skipped). Returns how many bytes were flipped.
size_t flip_bytes(const std::string& file, const std::vector<size_t>& offsets);

// The offsets 0, step, 2 * step, ... below the file's size (one per block of
// `step` bytes). LevelDB compresses its blocks: a step of 8 bytes leaves no
// block of a table unhurt.
std::vector<size_t> every(const std::string& file, size_t step);

}  // namespace nagare::testing
