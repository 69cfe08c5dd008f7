// Splits: the units of work a source reads (a file, a partition, a range of
// indices), handed to its readers at run time by the job master. The master
// runs the source's split enumerator (nagare/source.hpp: a descriptor's
// enumerator()), which discovers splits while the job runs, and assigns each
// new split to one source subtask; the subtask's reader gets it through
// source_reader::add_splits. Positions are opaque to the runtime: the
// connector encodes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "nagare/codec.hpp"

namespace nagare {

struct source_split {
  std::string id;                  // stable over the job's life; names the split's records
  std::string start;               // where a reader starts without a restored position
  std::optional<std::string> end;  // bounded: where it stops (none: at the split's own end)

  bool operator==(const source_split& o) const {
    return id == o.id && start == o.start && end == o.end;
  }
};

template <>
struct codec<source_split> {
  static void encode(const source_split& x, std::string& out) {
    codec<std::string>::encode(x.id, out);
    codec<std::string>::encode(x.start, out);
    codec<std::optional<std::string>>::encode(x.end, out);
  }
  static bool decode(byte_reader& in, source_split& x) {
    return codec<std::string>::decode(in, x.id) && codec<std::string>::decode(in, x.start) &&
           codec<std::optional<std::string>>::decode(in, x.end);
  }
};

// How a source finds its splits, declared as data by its descriptor and
// carried in the plan: the job master (which loads no job code) builds the
// enumerator of that kind from `config` (make_split_enumerator, built into
// libnagare: "static", "directory"), asks it for new splits every
// `discovery_interval_ms` (0: once), and `bounded` says the source ends once
// its enumerator has finished discovering and its readers their splits.
struct enumerator_spec {
  std::string kind;
  std::string config;
  uint32_t discovery_interval_ms = 0;
  bool bounded = true;
};

// A reader's replay position entry on the split contract (source_reader::
// positions()): the split's id and the reader's position in it.
inline std::string encode_split_position(const std::string& id, const std::string& position) {
  return encode(std::pair<std::string, std::string>(id, position));
}
inline bool decode_split_position(const std::string& entry, std::string& id,
                                  std::string& position) {
  std::pair<std::string, std::string> p;
  byte_reader in(entry.data(), entry.size());
  if (!codec<std::pair<std::string, std::string>>::decode(in, p) || in.remaining() != 0)
    return false;
  id = std::move(p.first);
  position = std::move(p.second);
  return true;
}

}  // namespace nagare
