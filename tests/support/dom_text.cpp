#include "dom_text.hpp"

#include <cstring>
#include <regex>
#include <utility>

namespace nagare::testing {

std::string unescape(std::string s) {
  static const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"},  {"&gt;", ">"},        {"&quot;", "\""},
      {"&#39;", "'"}, {"&nbsp;", "\u00a0"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities) {
    for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += std::strlen(to))
      s.replace(at, std::strlen(from), to);
  }
  return s;
}

std::vector<std::string> tags(const std::string& dom, const std::string& name) {
  std::vector<std::string> out;
  const std::string needle = "data-test=\"" + name + "\"";
  for (size_t at = 0; (at = dom.find(needle, at)) != std::string::npos; ++at) {
    size_t open = dom.rfind('<', at);
    size_t close = dom.find('>', at);
    out.push_back(dom.substr(open, close - open + 1));
  }
  return out;
}

std::vector<std::string> texts(const std::string& dom, const std::string& name) {
  std::vector<std::string> out;
  const std::string needle = "data-test=\"" + name + "\"";
  for (size_t at = 0; (at = dom.find(needle, at)) != std::string::npos; ++at) {
    size_t start = dom.find('>', at) + 1;
    // The element ends at the first closing tag that balances the opening one's name.
    size_t open = dom.rfind('<', at);
    std::string tag = dom.substr(open + 1, dom.find_first_of(" >", open) - open - 1);
    int depth = 1;
    size_t pos = start;
    while (depth > 0) {
      size_t next_open = dom.find("<" + tag, pos);
      size_t next_close = dom.find("</" + tag + ">", pos);
      if (next_close == std::string::npos) break;
      if (next_open != std::string::npos && next_open < next_close) {
        ++depth;
        pos = next_open + 1;
      } else {
        --depth;
        pos = next_close + (depth ? 1 : 0);
      }
    }
    std::string inner = dom.substr(start, pos - start);
    out.push_back(unescape(std::regex_replace(inner, std::regex("<[^>]*>"), "")));
  }
  return out;
}

std::string text(const std::string& dom, const std::string& name) {
  auto all = texts(dom, name);
  return all.empty() ? "" : all.front();
}

std::string attr(const std::string& tag, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(tag, m, std::regex(" " + name + "=\"([^\"]*)\""))) return "";
  return unescape(m[1]);
}

std::string body_tag(const std::string& dom) {
  std::smatch m;
  return std::regex_search(dom, m, std::regex("<body[^>]*>")) ? m[0].str() : "";
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace nagare::testing
