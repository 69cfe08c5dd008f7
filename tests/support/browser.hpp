// A headless browser for tests of the web dashboard: the DOM of a page after its scripts ran,
// and screenshots. Chromium (Debian's chromium package) in its new headless mode, each run
// with a fresh profile in a temporary directory and all its processes killed at the end.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "nagare/status.hpp"

namespace nagare::testing {

struct browser_options {
  // Time the page's scripts get (timers and animations; it passes faster than the clock
  // while the page is idle, and stops while requests are in flight).
  std::chrono::milliseconds virtual_time{4000};
  // Real time after which the browser is killed and the run fails.
  std::chrono::seconds deadline{60};
  int width = 1400;
  int height = 1000;
  // dump_dom: when not empty, loads the page again, each time with twice the virtual time, until
  // the DOM contains this text (e.g. data-ready="1"), `attempts` times at most.
  std::string until;
  int attempts = 3;
};

// The browser to run: $NAGARE_CHROMIUM if set (a path, or a name looked up on PATH), else the
// first of chromium, chromium-browser, google-chrome on PATH. not_found when there is none.
result<std::string> find_browser();

// A page once its scripts ran: its DOM serialized to HTML and what it logged to its console
// (one line per message, e.g. "Uncaught TypeError: ..." for an exception nothing caught).
struct loaded_page {
  std::string dom;
  std::vector<std::string> console;
};

// The page at `url` (any URL: http, file, with a #fragment) after its scripts ran for
// options.virtual_time. Errors: no browser, the browser failed or timed out, the page could not
// be loaded, `until` never appeared.
result<loaded_page> load_page(const std::string& url, const browser_options& options = {});

// load_page's DOM alone.
result<std::string> dump_dom(const std::string& url, const browser_options& options = {});

// A PNG screenshot of the page at `url`, options.width x options.height pixels (the window,
// not the whole page), written to png_path.
status screenshot(const std::string& url, const std::string& png_path,
                  const browser_options& options = {});

}  // namespace nagare::testing
