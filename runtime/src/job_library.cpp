#include "job_library.hpp"

#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>

#include "elf_check.hpp"

namespace nagare {

namespace {
constexpr const char* linked_prefix = "linked:";
std::mutex linked_mutex;
std::map<std::string, job_main>& linked_jobs() {
  static std::map<std::string, job_main> jobs;
  return jobs;
}

// dlopen()s `file` and reads its job descriptor; messages name `path`.
// `opened`: whether dlopen succeeded (the library then stays loaded).
result<job_definition> open_job(const std::string& file, const std::string& path, bool& opened) {
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  opened = handle != nullptr;
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
  if (auto elf = check_elf_file(path); !elf.ok()) return elf;
  // A path without '/' would make dlopen search the library path instead.
  auto file = path.find('/') == std::string::npos ? "./" + path : path;
  bool opened = false;
  return open_job(file, path, opened);
}

result<job_definition> load_job_image(const std::string& bytes, const std::string& name) {
  if (auto elf = check_elf_image(bytes, name); !elf.ok()) return elf;
  int fd = ::memfd_create("nagare-job", MFD_CLOEXEC);
  if (fd < 0)
    return status::io_error("cannot load '" + name + "': memfd_create: " + std::strerror(errno));
  for (size_t done = 0; done < bytes.size();) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto why = std::string(std::strerror(errno));
      ::close(fd);
      return status::io_error("cannot load '" + name + "': writing its copy: " + why);
    }
    done += static_cast<size_t>(n);
  }
  // Once loaded, the descriptor stays open for the life of the process:
  // dlopen knows a library by its path, and a later load from a reused
  // descriptor number would be handed this library instead.
  bool opened = false;
  auto job = open_job("/proc/self/fd/" + std::to_string(fd), name, opened);
  if (!opened) ::close(fd);
  return job;
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
