// Where the admin shell's command lines come from: a terminal, with line
// editing, history and tab completion (libedit), or any other input read
// line by line, so that the shell can be scripted.
#pragma once

#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nagare::cli::shell {

class line_reader {
 public:
  virtual ~line_reader() = default;
  // The next line, without its newline; nullopt at the end of the input.
  virtual std::optional<std::string> next() = 0;
};

// Lines of `in`, no prompt. REQUIRES: `in` outlives the reader.
std::unique_ptr<line_reader> make_stream_reader(std::istream& in);

// Candidates for the word that ends `before_cursor`; the reader keeps those
// that start with what was typed.
using completer = std::function<std::vector<std::string>(const std::string& before_cursor)>;

// Reads the terminal on stdin/stdout with libedit: emacs key bindings (and
// ~/.editrc), `prompt`, tab completion, history loaded from and saved to
// `history_file` after every line (empty: no file; an unwritable file is
// ignored). Ctrl-C discards the line being typed; Ctrl-D on an empty line
// ends the input. At most one at a time; use it from the thread that made it.
// REQUIRES: stdin is a terminal; SIGINT reaches this thread (block it in
// every other thread), or Ctrl-C ends the process.
std::unique_ptr<line_reader> make_editline_reader(std::string prompt, std::string history_file,
                                                  completer complete);

// ~/.nagare_history ($HOME, else the password database); empty if unknown.
std::string default_history_file();

}  // namespace nagare::cli::shell
