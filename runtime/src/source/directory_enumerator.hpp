// The "directory" split enumerator: every regular file in one directory is a
// split (id: its path), found while the job runs. Each discover() lists the
// directory and returns the files not seen before, sorted by path (so the
// discovery order is deterministic). Files whose names start with '.' or
// '_' are ignored: write a file under such a name and rename it when it is
// complete, since a file is read once, up to its end at that time. Unbounded
// by default (discovery never finishes); in bounded mode the first
// discover() takes the files present then and discovery is finished.
//
// A split's start position is (path, byte offset 0) in the codec of
// std::pair<std::string, uint64_t>, as the text file reader reads it.
// Config: (directory, bounded) in the codec of std::pair<std::string, bool>.
#pragma once

#include <memory>
#include <string>

#include "split_enumerator.hpp"

namespace nagare {

std::string directory_enumerator_config(const std::string& dir, bool bounded);
result<std::unique_ptr<split_enumerator>> make_directory_enumerator(const std::string& config);

}  // namespace nagare
