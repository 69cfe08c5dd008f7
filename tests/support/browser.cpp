#include "browser.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace nagare::testing {

namespace {

bool executable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// `name` as a path if it has a slash, else looked up on PATH; empty when not found.
std::string which(const std::string& name) {
  if (name.find('/') != std::string::npos) return executable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  return "";
}

struct run_result {
  int exit_code = -1;
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv in a process group of its own, its output captured, and kills the whole group
// when the first process exits or at the deadline: the browser's helper processes (zygote,
// renderer, GPU) never outlive a run nor keep its pipes open.
result<run_result> run(const std::vector<std::string>& argv, std::chrono::seconds deadline) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return status::io_error("pipe: " + std::string(std::strerror(errno)));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return status::io_error("pipe: " + std::string(std::strerror(errno)));
  }
  pid_t pid = ::fork();
  if (pid < 0) return status::io_error("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    ::setpgid(0, 0);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: no race with the child's own call
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  for (int fd : {out_pipe[0], err_pipe[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  run_result r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  auto drain = [&] {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0) continue;
      char buf[65536];
      for (;;) {
        auto n = ::read(fds[i].fd, buf, sizeof buf);
        if (n > 0) {
          sinks[i]->append(buf, static_cast<size_t>(n));
          continue;
        }
        if (n == 0) {  // every writer is gone
          ::close(fds[i].fd);
          fds[i].fd = -1;
        }
        break;  // EAGAIN: nothing more for now
      }
    }
  };
  auto until = std::chrono::steady_clock::now() + deadline;
  int wait_status = 0;
  bool exited = false;
  while (!exited) {
    if (std::chrono::steady_clock::now() >= until) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &wait_status, 0);
      break;
    }
    ::poll(fds, 2, 100);
    drain();
    pid_t w = ::waitpid(pid, &wait_status, WNOHANG);
    if (w == pid) exited = true;
  }
  drain();  // what the browser wrote before it exited
  ::kill(-pid, SIGKILL);
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  if (!r.timed_out && WIFEXITED(wait_status)) r.exit_code = WEXITSTATUS(wait_status);
  return r;
}

// A fresh browser profile, removed with everything in it on destruction.
class profile_dir {
 public:
  profile_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nagare-chromium-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~profile_dir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  profile_dir(const profile_dir&) = delete;
  profile_dir& operator=(const profile_dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The lines of the browser's stderr that say why a page did not load ("Page load failed:
// net::ERR_CONNECTION_REFUSED"); empty when it loaded.
std::string load_failure(const std::string& err) {
  size_t at = err.find("Page load failed");
  if (at == std::string::npos) return "";
  size_t end = err.find('\n', at);
  return err.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The page's console messages in the browser's log: from
//   [pid:tid:time:INFO:CONSOLE:12] "message", source: http://... (12)
// the message with its source.
std::vector<std::string> console_messages(const std::string& err) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = err.find(":CONSOLE", at)) != std::string::npos) {
    size_t start = err.find("] ", at);
    size_t end = err.find('\n', at);
    if (end == std::string::npos) end = err.size();
    if (start != std::string::npos && start < end)
      out.push_back(err.substr(start + 2, end - start - 2));
    at = end;
  }
  return out;
}

std::string tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

// Runs the browser on `url` with `mode` (--dump-dom, --screenshot=FILE).
result<run_result> browse(const std::string& url, const std::string& mode,
                          const browser_options& options, std::chrono::milliseconds budget) {
  auto browser = find_browser();
  if (!browser.ok()) return browser.error();
  profile_dir profile;
  if (profile.path().empty()) return status::io_error("cannot create a browser profile directory");
  std::vector<std::string> argv = {
      *browser,
      "--headless=new",
      "--no-sandbox",  // Chromium refuses to run as root with its sandbox; tests load local pages
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--mute-audio",
      "--hide-scrollbars",
      "--force-device-scale-factor=1",
      "--enable-logging=stderr",  // the page's console messages, as lines with ":CONSOLE:"
      "--v=0",
      "--user-data-dir=" + profile.path(),
      "--window-size=" + std::to_string(options.width) + "," + std::to_string(options.height),
      "--virtual-time-budget=" + std::to_string(budget.count()),
      mode,
      url,
  };
  auto r = run(argv, options.deadline);
  if (!r.ok()) return r.error();
  if (r->timed_out)
    return status(errc::timeout, "the browser did not finish " + url + " within " +
                                     std::to_string(options.deadline.count()) + " s");
  if (r->exit_code != 0)
    return status(errc::io_error, "the browser failed on " + url + " (exit status " +
                                      std::to_string(r->exit_code) + "): " + tail(r->err, 1500));
  if (auto why = load_failure(r->err); !why.empty())
    return status(errc::unavailable, url + ": " + why);
  return r;
}

}  // namespace

result<std::string> find_browser() {
  if (const char* given = std::getenv("NAGARE_CHROMIUM"); given && *given) {
    std::string path = which(given);
    if (path.empty())
      return status::not_found(std::string("NAGARE_CHROMIUM is ") + given +
                               ", which is not an executable");
    return path;
  }
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    std::string path = which(name);
    if (!path.empty()) return path;
  }
  return status::not_found(
      "no headless browser: install Debian's chromium package or set NAGARE_CHROMIUM");
}

result<loaded_page> load_page(const std::string& url, const browser_options& options) {
  auto budget = options.virtual_time;
  std::string last;
  int attempts = options.until.empty() ? 1 : std::max(1, options.attempts);
  for (int i = 0; i < attempts; ++i, budget *= 2) {
    auto r = browse(url, "--dump-dom", options, budget);
    if (!r.ok()) return r.error();
    if (r->out.empty()) return status(errc::io_error, "the browser printed no DOM for " + url);
    if (options.until.empty() || r->out.find(options.until) != std::string::npos)
      return loaded_page{std::move(r->out), console_messages(r->err)};
    last = std::move(r->out);
  }
  return status(errc::timeout, url + " never showed " + options.until + " (" +
                                   std::to_string(attempts) + " loads, the last with " +
                                   std::to_string(budget.count() / 2) +
                                   " ms of page time); its DOM ends with: " + tail(last, 2000));
}

result<std::string> dump_dom(const std::string& url, const browser_options& options) {
  auto page = load_page(url, options);
  if (!page.ok()) return page.error();
  return std::move(page->dom);
}

status screenshot(const std::string& url, const std::string& png_path,
                  const browser_options& options) {
  std::error_code ec;
  std::filesystem::remove(png_path, ec);
  auto r = browse(url, "--screenshot=" + png_path, options, options.virtual_time);
  if (!r.ok()) return r.error();
  std::ifstream f(png_path, std::ios::binary);
  char magic[8] = {};
  if (!f.read(magic, sizeof magic) || std::memcmp(magic, "\x89PNG\r\n\x1a\n", 8) != 0)
    return status(errc::io_error, "the browser wrote no PNG file at " + png_path + " for " + url +
                                      ": " + tail(r->err, 1500));
  return {};
}

}  // namespace nagare::testing
