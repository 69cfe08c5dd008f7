// Loading a job: a shared library with a NAGARE_JOB entry point (or, in tests,
// a main function linked in), and building its logical graph.
#pragma once

#include <string>
#include <vector>

#include "nagare/api.hpp"
#include "nagare/detail/graph.hpp"
#include "nagare/status.hpp"

namespace nagare {

struct job_definition {
  std::string name;
  std::string path;  // the library file; empty for a linked-in job
  job_main main = nullptr;
};

// Checks the library file (elf_check.hpp), opens it and checks its entry
// point and API version. Libraries stay loaded for the life of the process
// (their code backs running tasks). "linked:NAME" names a job registered with
// register_linked_job instead.
result<job_definition> load_job_library(const std::string& path);

// The same for a library's bytes in memory (a node's cached copy, verified
// against its hash): they are checked, copied into an anonymous file (memfd)
// and loaded from there, so what runs is exactly the bytes checked, and later
// damage to a file on disk cannot reach loaded code. `name` names the library
// in messages and in job_definition::path. Each call loads a new copy.
result<job_definition> load_job_image(const std::string& bytes, const std::string& name);

// Makes a job compiled into this process loadable as "linked:NAME" (tests
// run in-process jobs through the same path as libraries). Thread-safe.
job_definition register_linked_job(const std::string& name, job_main main);

// Runs the job's main with `args`; a thrown exception becomes an error.
result<detail::graph> build_graph(const job_definition& job, const std::vector<std::string>& args);

// Every source's and sink's validate(), in graph order; the first error.
status validate_graph(const detail::graph& g);

}  // namespace nagare
