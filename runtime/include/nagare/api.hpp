// The entry point of a job library. A job library defines its main function
// and names it once:
//
//   nagare::status build(nagare::job& job, const nagare::job_args& args) { ... }
//   NAGARE_JOB("wordcount", build)
//
// The runtime checks the API version before it calls anything else, so a
// library built against other headers is refused with a clear message.
#pragma once

#include <cstdint>

#include "nagare/job.hpp"
#include "nagare/job_args.hpp"
#include "nagare/status.hpp"

// The job API version, checked when a library is loaded. Bump it when
// something compiled into a job library changes: a class layout or inline
// code of a public header (records, codecs, the fluent API, operator
// templates, state handles, keyed_state, subtask_info),
// or a virtual interface the job and the runtime share (operator_instance,
// keyed_backend, row_cache, timer_index). No bump is needed for what lives
// in libnagare behind those interfaces: a backend's internals (the leveldb
// cache, CLOCK eviction, delta chains, kv-store tuning, timer indexes), a new
// backend, the snapshot stream's framing (runtime/src/snapshot_stream.hpp),
// or operator_snapshot (opaque to jobs: detail/snapshot_fwd.hpp).
// Version 7: state backends behind keyed_backend.
// Version 8: the split contract (nagare/split.hpp): source_reader and
// source_instance gain add_splits / no_more_splits, node_spec an enumerator;
// sinks declare their delivery guarantee (node_spec::guarantee).
// Version 9: the job API without <memory> and <functional>: nagare::owned and
// nagare::function in node_spec and the source/sink contracts, record batches
// handed over as owned, operator_snapshot opaque; source_instance reports its
// dead letters.
// Version 10: operators report their late records (operator_instance gains
// late_records()); the file sink's part_writer sweeps stray work files.
// Version 11: delivery_guarantee gains none; the Kafka connectors, JSON
// records and connectors named by URI (classes with inline parts in headers).
// Version 13: batch-at-a-time operator paths: input_port gains push_batch, a
// collector may gather records into a batch_buffer, keyed operators prefetch
// their keys' slots (keyed_batch), keyed_map's slots are cache-line aligned.
// Version 14: metrics (nagare/metrics.hpp; subtask_info::metrics), operators
// and keyed backends report their state's bytes (state_bytes()), sink
// operators count transactions.
#define NAGARE_API_VERSION 14u

namespace nagare {
using job_main = status (*)(job&, const job_args&);
}

extern "C" {
struct nagare_job_descriptor {
  uint32_t api_version;  // first field: read before anything else
  const char* name;
  nagare::job_main main;
};
}

#define NAGARE_ENTRY_SYMBOL "nagare_job_entry"

#define NAGARE_JOB(NAME, MAIN)                                                        \
  extern "C" __attribute__((visibility("default"))) const nagare_job_descriptor*      \
  nagare_job_entry() {                                                                \
    static const nagare_job_descriptor descriptor{NAGARE_API_VERSION, NAME, &(MAIN)}; \
    return &descriptor;                                                               \
  }
