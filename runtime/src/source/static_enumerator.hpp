// The "static" split enumerator: its config lists every split (the codec of
// std::vector<source_split>); the first discover() returns them all and
// discovery is finished at once. Used by the text file source (one split per
// file) and the generator (one split per subtask of the first run). Its
// snapshot is the split list, so a restore at another parallelism re-deals
// the splits of the first run whole, whatever the new plan's config says.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "split_enumerator.hpp"

namespace nagare {

std::string static_enumerator_config(const std::vector<source_split>& splits);
result<std::unique_ptr<split_enumerator>> make_static_enumerator(const std::string& config);

}  // namespace nagare
