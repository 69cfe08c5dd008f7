#include "job_library.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>

namespace nagare {

namespace {
constexpr const char* linked_prefix = "linked:";
std::mutex linked_mutex;
std::map<std::string, job_main>& linked_jobs() {
  static std::map<std::string, job_main> jobs;
  return jobs;
}
}  // namespace

job_definition register_linked_job(const std::string& name, job_main main) {
  std::lock_guard<std::mutex> lock(linked_mutex);
  linked_jobs()[name] = main;
  return {name, linked_prefix + name, main};
}

result<job_definition> load_job_library(const std::string& path) {
  if (path.rfind(linked_prefix, 0) == 0) {
    std::lock_guard<std::mutex> lock(linked_mutex);
    auto name = path.substr(std::string(linked_prefix).size());
    auto j = linked_jobs().find(name);
    if (j == linked_jobs().end()) return status(errc::not_found, "no linked job '" + name + "'");
    return job_definition{name, path, j->second};
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return status(errc::not_found, "job library '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return status(errc::library_error, "job library '" + path + "' is not a regular file");
  // A path without '/' would make dlopen search the library path instead.
  auto file = path.find('/') == std::string::npos ? "./" + path : path;
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    return status(errc::library_error, "'" + path + "' is not a loadable shared library: " +
                                           std::string(why ? why : "unknown error"));
  }
  using entry_fn = const nagare_job_descriptor* (*)();
  auto entry = reinterpret_cast<entry_fn>(::dlsym(handle, NAGARE_ENTRY_SYMBOL));
  if (!entry)
    return status(errc::library_error, "job library '" + path +
                                           "' has no entry point '" NAGARE_ENTRY_SYMBOL
                                           "' (declare the job with NAGARE_JOB)");
  const nagare_job_descriptor* d = entry();
  if (!d)
    return status(errc::library_error, "job library '" + path + "' returned no job descriptor");
  if (d->api_version != NAGARE_API_VERSION)
    return status(errc::api_mismatch,
                  "job library '" + path + "' was built for Nagare API version " +
                      std::to_string(d->api_version) + ", this runtime supports version " +
                      std::to_string(NAGARE_API_VERSION) + "; rebuild the job");
  if (!d->main)
    return status(errc::library_error, "job library '" + path + "' has no main function");
  return job_definition{d->name ? d->name : "job", path, d->main};
}

result<detail::graph> build_graph(const job_definition& job, const std::vector<std::string>& args) {
  detail::graph g;
  nagare::job builder(g);
  try {
    auto st = job.main(builder, job_args(args));
    if (!st.ok()) return status(st.code(), "job " + job.name + ": " + st.message());
  } catch (const std::exception& e) {
    return status(errc::user_error, "job " + job.name + ": main threw: " + e.what());
  } catch (...) {
    return status(errc::user_error, "job " + job.name + ": main threw an unknown exception");
  }
  return g;
}

status validate_graph(const detail::graph& g) {
  for (const auto& n : g.nodes) {
    if (!n.validate) continue;
    auto st = n.validate();
    if (!st.ok()) return status(st.code(), "operator '" + n.name + "': " + st.message());
  }
  return {};
}

}  // namespace nagare
