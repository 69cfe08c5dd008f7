// The web dashboard's files (runtime/web: index.html, the scripts, the style sheet), compiled
// into the binary: the coordinator's web listener serves them without reading the disk. The
// table is generated at build time by scripts/lib/embed_files.py (runtime/web/meson.build).
#pragma once

#include <string_view>

namespace nagare::web {

struct asset {
  std::string_view path;          // "/index.html", "/app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
};

// The asset served at `path` ("/" is index.html), or nullptr. `path` is the request's path
// alone: without the query string or fragment.
const asset* find_asset(std::string_view path);

}  // namespace nagare::web
