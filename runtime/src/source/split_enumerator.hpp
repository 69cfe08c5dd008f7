// The split enumerator of a source: finds the source's splits, on the job
// master's actor (in the coordinator, which loads no job code: every kind is
// built into libnagare and configured by data, nagare/split.hpp's
// enumerator_spec). The master calls discover() before the job starts and
// then every discovery interval, assigns the new splits to the source's
// subtasks (split_assigner.hpp), and snapshots the enumerator with every
// checkpoint; a restore gives the snapshot back.
//
// Called from one actor only; not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nagare/split.hpp"
#include "nagare/status.hpp"

namespace nagare {

class split_enumerator {
 public:
  virtual ~split_enumerator() = default;
  // The splits found since the last call, in discovery order. After
  // restore(), the first call returns every split known at the snapshot
  // first (in their discovery order: a restore re-deals them all), then any
  // new ones. An error leaves the enumerator as it was (the master retries).
  virtual result<std::vector<source_split>> discover() = 0;
  // No split will come any more (a bounded source, once discovered).
  virtual bool discovery_finished() const = 0;
  // What restore() needs to go on: the splits known so far and the
  // enumerator's own progress. Only splits discover() has returned.
  virtual std::string snapshot() const = 0;
  // Continues from snapshot(). REQUIRES: discover() not called yet.
  virtual status restore(const std::string& snapshot) = 0;
};

// The built-in kinds: "static" (the config lists the splits:
// static_enumerator.hpp), "directory" (files appearing in a directory:
// directory_enumerator.hpp), "kafka" (topic partitions:
// kafka/kafka_enumerator.hpp) and "redis" (streams:
// redis/redis_enumerator.hpp). invalid_argument for an unknown kind or a
// config that kind cannot read, in one line.
result<std::unique_ptr<split_enumerator>> make_split_enumerator(const std::string& kind,
                                                                const std::string& config);

}  // namespace nagare
