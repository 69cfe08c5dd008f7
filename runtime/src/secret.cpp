#include "secret.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>

namespace nagare {

namespace {

// A warning per file, once per process.
void warn_if_readable_by_others(const std::string& variable, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return;
  static std::mutex mu;
  static std::set<std::string> warned;
  std::lock_guard<std::mutex> lock(mu);
  if (!warned.insert(path).second) return;
  std::fprintf(stderr,
               "nagare: warning: %s names %s, which group or others may read "
               "(chmod 600 it)\n",
               variable.c_str(), path.c_str());
}

std::string lowered(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

result<std::string> secret_from_environment(const std::string& name) {
  if (const char* v = std::getenv(name.c_str()); v && *v) return std::string(v);
  const std::string file_variable = name + "_FILE";
  const char* path = std::getenv(file_variable.c_str());
  if (!path || !*path) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return status::invalid_argument(file_variable + " names " + path + ", which cannot be read");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty())
    return status::invalid_argument(file_variable + " names " + path +
                                    ", whose first line is empty");
  warn_if_readable_by_others(file_variable, path);
  return line;
}

bool is_secret_option(const std::string& name) {
  auto n = lowered(name);
  for (const char* word : {"password", "secret", "token"})
    if (n.find(word) != std::string::npos) return true;
  return n == "sasl.jaas.config" || n == "ssl.key.pem";
}

std::string masked_uri(const std::string& uri) {
  std::string out = uri;
  // The authority's password: "//user:PASSWORD@".
  if (auto start = out.find("//"); start != std::string::npos) {
    start += 2;
    auto end = out.find_first_of("/?#", start);
    auto at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // Options: "?a=b&c=d".
  auto query = out.find('?');
  if (query == std::string::npos) return out;
  std::string masked = out.substr(0, query + 1);
  size_t pos = query + 1;
  while (pos <= out.size()) {
    auto amp = out.find('&', pos);
    auto item = out.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    auto eq = item.find('=');
    if (eq != std::string::npos && is_secret_option(item.substr(0, eq)))
      item = item.substr(0, eq + 1) + "***";
    masked += item;
    if (amp == std::string::npos) break;
    masked += '&';
    pos = amp + 1;
  }
  return masked;
}

}  // namespace nagare
