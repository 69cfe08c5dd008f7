// The "redis" split enumerator: the streams of a Redis stream source (listed,
// or every stream whose key matches a glob) are its splits, id = the
// stream's key (nagare/redis_source.hpp). A thread of its own asks the
// server every discovery interval (SCAN MATCH GLOB TYPE stream), so
// discover() never waits for the network: it returns what that thread has
// found since.
//
// The streams of the first round start where the source says (the beginning,
// or after the last entry then: resolved to an entry ID there, so all readers
// and a restart agree); streams found later start at their beginning.
// Bounded: the first round also takes every stream's last entry ID as its
// split's end and discovery is finished after it. A round that fails is
// retried at the next interval; discover() reports its error.
//
// Split starts and ends are entry IDs as text ("MS-SEQ"; "0-0": before the
// first). Config: redis_stream_config.hpp. Snapshot: the splits handed out
// and whether the first round was done, in the codec of
// std::pair<std::vector<source_split>, bool>.
#pragma once

#include <memory>
#include <string>

#include "source/split_enumerator.hpp"

namespace nagare {

result<std::unique_ptr<split_enumerator>> make_redis_enumerator(const std::string& config);

}  // namespace nagare
