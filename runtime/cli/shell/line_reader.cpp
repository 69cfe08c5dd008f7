#include "line_reader.hpp"

#include <histedit.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace nagare::cli::shell {

namespace {

class stream_reader final : public line_reader {
 public:
  explicit stream_reader(std::istream& in) : in_(in) {}
  std::optional<std::string> next() override {
    std::string line;
    if (!std::getline(in_, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

 private:
  std::istream& in_;
};

// Set by the SIGINT handler while el_gets waits for a line.
volatile sig_atomic_t interrupted = 0;

extern "C" void on_sigint(int) { interrupted = 1; }

// The longest common prefix of `words`. REQUIRES: !words.empty()
std::string common_prefix(const std::vector<std::string>& words) {
  std::string prefix = words[0];
  for (const auto& w : words) {
    size_t n = 0;
    while (n < prefix.size() && n < w.size() && prefix[n] == w[n]) ++n;
    prefix.resize(n);
  }
  return prefix;
}

class editline_reader final : public line_reader {
 public:
  editline_reader(std::string prompt, std::string history_file, completer complete)
      : prompt_(std::move(prompt)),
        history_file_(std::move(history_file)),
        complete_(std::move(complete)) {
    HistEvent ev;
    history_ = history_init();
    history(history_, &ev, H_SETSIZE, 1000);
    history(history_, &ev, H_SETUNIQUE, 1);
    if (!history_file_.empty()) history(history_, &ev, H_LOAD, history_file_.c_str());
    el_ = el_init("nagare", stdin, stdout, stderr);
    el_set(el_, EL_CLIENTDATA, static_cast<void*>(this));
    el_set(el_, EL_PROMPT, &editline_reader::prompt_of);
    el_set(el_, EL_EDITOR, "emacs");
    // libedit restores the terminal on signals (and redraws after Ctrl-Z).
    el_set(el_, EL_SIGNAL, 1);
    el_set(el_, EL_HIST, history, history_);
    el_set(el_, EL_ADDFN, "nagare-complete", "complete a command name or id",
           &editline_reader::on_tab);
    el_set(el_, EL_BIND, "^I", "nagare-complete", nullptr);
    el_source(el_, nullptr);  // the user's ~/.editrc, if any
  }

  ~editline_reader() override {
    el_end(el_);
    history_end(history_);
  }

  editline_reader(const editline_reader&) = delete;
  editline_reader& operator=(const editline_reader&) = delete;

  std::optional<std::string> next() override {
    for (;;) {
      // Ctrl-C while typing discards the line. Outside el_gets SIGINT keeps
      // its default: it ends the shell, even in the middle of a request.
      struct sigaction on_int = {}, previous = {};
      on_int.sa_handler = on_sigint;  // no SA_RESTART: read() returns EINTR
      sigemptyset(&on_int.sa_mask);
      interrupted = 0;
      sigaction(SIGINT, &on_int, &previous);
      int count = 0;
      const char* line = el_gets(el_, &count);
      int read_error = errno;
      sigaction(SIGINT, &previous, nullptr);
      if (interrupted) {
        // el_gets hands back what was typed so far: never run that.
        std::fputs("\n", stdout);
        continue;
      }
      if (line == nullptr || count <= 0) {
        if (count < 0 && read_error == EINTR) continue;  // another signal (a resize, Ctrl-Z)
        std::fputs("\n", stdout);                        // Ctrl-D: leave the prompt line
        return std::nullopt;
      }
      std::string text(line, static_cast<size_t>(count));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      remember(text);
      return text;
    }
  }

 private:
  void remember(const std::string& line) {
    auto end = line.find_last_not_of(" \t");
    if (end == std::string::npos) return;
    HistEvent ev;
    history(history_, &ev, H_ENTER, line.substr(0, end + 1).c_str());
    // Saved after every line, so a shell ended by a signal keeps its history.
    if (!history_file_.empty()) history(history_, &ev, H_SAVE, history_file_.c_str());
  }

  static editline_reader* of(EditLine* el) {
    void* self = nullptr;
    el_get(el, EL_CLIENTDATA, &self);
    return static_cast<editline_reader*>(self);
  }

  static char* prompt_of(EditLine* el) { return of(el)->prompt_.data(); }

  static unsigned char on_tab(EditLine* el, int) {
    auto* self = of(el);
    const LineInfo* li = el_line(el);
    std::string before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
    auto start = before.find_last_of(" \t");
    std::string typed = start == std::string::npos ? before : before.substr(start + 1);
    std::vector<std::string> matches;
    for (auto& c : self->complete_(before))
      if (c.compare(0, typed.size(), typed) == 0) matches.push_back(std::move(c));
    if (matches.empty()) return CC_REFRESH_BEEP;
    auto prefix = common_prefix(matches);
    if (matches.size() == 1) {
      // A whole word: go on to the next one (but "7." still wants its task).
      if (prefix.back() != '.') prefix += ' ';
      el_insertstr(el, prefix.c_str() + typed.size());
      return CC_REFRESH;
    }
    if (prefix.size() > typed.size()) {
      el_insertstr(el, prefix.c_str() + typed.size());
      return CC_REFRESH;
    }
    std::string list = "\n";
    for (const auto& m : matches) list += m + "  ";
    list.resize(list.size() - 2);
    list += '\n';
    std::fputs(list.c_str(), stdout);
    return CC_REDISPLAY;
  }

  std::string prompt_;
  std::string history_file_;
  completer complete_;
  History* history_ = nullptr;
  EditLine* el_ = nullptr;
};

}  // namespace

std::unique_ptr<line_reader> make_stream_reader(std::istream& in) {
  return std::make_unique<stream_reader>(in);
}

std::unique_ptr<line_reader> make_editline_reader(std::string prompt, std::string history_file,
                                                  completer complete) {
  return std::make_unique<editline_reader>(std::move(prompt), std::move(history_file),
                                           std::move(complete));
}

std::string default_history_file() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == 0) {
    const passwd* pw = getpwuid(getuid());
    home = pw != nullptr ? pw->pw_dir : nullptr;
  }
  if (home == nullptr || *home == 0) return {};
  return std::string(home) + "/.nagare_history";
}

}  // namespace nagare::cli::shell
