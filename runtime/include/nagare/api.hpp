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

// Bumped whenever the layout of anything a job library touches changes.
#define NAGARE_API_VERSION 6u

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
