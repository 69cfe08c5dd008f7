// JSON decoding of the YSB event (7 string fields: three UUIDs, ad type,
// event type, event time in epoch ms as a string, IP address; about 250
// bytes), one record at a time as a source subtask sees them: simdjson's DOM
// and On Demand APIs side by side, and nagare::json_reader (DOM, in
// libnagare). Every variant reads the 7 fields in another order than they
// appear. Prints MB/s and records/s, best of the runs. Not a test.
//
//   build/tests/bench/json_bench [records] [runs] [variant]
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "nagare/json.hpp"

namespace {

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string uuid(uint64_t& s) {
  const uint64_t a = splitmix(s), b = splitmix(s);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", unsigned(a >> 32),
                unsigned(a >> 16) & 0xffff, unsigned(a) & 0xffff, unsigned(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffull));
  return buf;
}

std::vector<std::string> events(size_t n) {
  const char* ad_types[] = {"banner", "modal", "sponsored-search", "mail", "mobile"};
  const char* event_types[] = {"view", "click", "purchase"};
  uint64_t s = 42;
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t r = splitmix(s);
    char ip[16];
    std::snprintf(ip, sizeof ip, "%u.%u.%u.%u", unsigned(r & 0xff), unsigned(r >> 8 & 0xff),
                  unsigned(r >> 16 & 0xff), unsigned(r >> 24 & 0xff));
    out.push_back("{\"user_id\":\"" + uuid(s) + "\",\"page_id\":\"" + uuid(s) + "\",\"ad_id\":\"" +
                  uuid(s) + "\",\"ad_type\":\"" + ad_types[r % 5] + "\",\"event_type\":\"" +
                  event_types[(r >> 8) % 3] + "\",\"event_time\":\"" +
                  std::to_string(1700000000000ull + i) + "\",\"ip_address\":\"" + ip + "\"}");
  }
  return out;
}

// The order a job asks for the fields in.
const std::string_view keys[] = {"ad_id",   "event_type", "event_time", "user_id",
                                 "page_id", "ad_type",    "ip_address"};

// A copy of the record with simdjson's padding, reused (what json_reader does).
struct padded {
  std::vector<char> buf;
  const char* copy(const std::string& s) {
    if (buf.size() < s.size() + simdjson::SIMDJSON_PADDING)
      buf.resize(s.size() + simdjson::SIMDJSON_PADDING + 4096);
    std::memcpy(buf.data(), s.data(), s.size());
    std::memset(buf.data() + s.size(), 0, simdjson::SIMDJSON_PADDING);
    return buf.data();
  }
};

size_t dom_api(const std::vector<std::string>& in) {
  simdjson::dom::parser p;
  size_t sum = 0;
  for (const auto& s : in) {
    simdjson::dom::object o;
    if (p.parse(s.data(), s.size()).get_object().get(o)) std::abort();
    for (auto k : keys) {
      std::string_view v;
      if (o.at_key(k).get_string().get(v)) std::abort();
      sum += v.size();
    }
  }
  return sum;
}

// On Demand as it is meant to be used: only what is read is validated.
size_t ondemand_api(const std::vector<std::string>& in) {
  simdjson::ondemand::parser p;
  padded buf;
  size_t sum = 0;
  for (const auto& s : in) {
    simdjson::ondemand::document d;
    if (p.iterate(buf.copy(s), s.size(), s.size() + simdjson::SIMDJSON_PADDING).get(d))
      std::abort();
    simdjson::ondemand::object o;
    if (d.get_object().get(o)) std::abort();
    for (auto k : keys) {
      std::string_view v;
      if (o.find_field_unordered(k).get_string().get(v)) std::abort();
      sum += v.size();
    }
  }
  return sum;
}

// On Demand validating the whole document, as json_reader::parse promises:
// one walk over every field, remembered, then lookups in any order.
size_t ondemand_validated(const std::vector<std::string>& in) {
  simdjson::ondemand::parser p;
  padded buf;
  size_t sum = 0;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  for (const auto& s : in) {
    simdjson::ondemand::document d;
    if (p.iterate(buf.copy(s), s.size(), s.size() + simdjson::SIMDJSON_PADDING).get(d))
      std::abort();
    simdjson::ondemand::object o;
    if (d.get_object().get(o)) std::abort();
    fields.clear();
    for (auto f : o) {
      std::string_view k, v;
      if (f.unescaped_key().get(k) || f.value().get_string().get(v)) std::abort();
      fields.emplace_back(k, v);
    }
    // (3.0.1 has no document::at_end() to refuse content after the object:
    // a lower bound of the cost.)
    for (auto k : keys) {
      auto it = std::find_if(fields.begin(), fields.end(), [&](auto& f) { return f.first == k; });
      if (it == fields.end()) std::abort();
      sum += it->second.size();
    }
  }
  return sum;
}

size_t nagare_reader(const std::vector<std::string>& in) {
  nagare::json_reader j;
  size_t sum = 0;
  for (const auto& s : in) {
    if (!j.parse(s).ok()) std::abort();
    for (auto k : keys) {
      auto v = j.string(k);
      if (!v.ok()) std::abort();
      sum += v->size();
    }
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::string_view only = argc > 3 ? argv[3] : "";
  const auto in = events(n);
  size_t bytes = 0;
  for (const auto& s : in) bytes += s.size();
  std::printf("%zu records, %.1f bytes each; DOM kernel: %s, On Demand kernel: %s\n", n,
              double(bytes) / n, simdjson::get_active_implementation()->name().c_str(),
              simdjson::builtin_implementation()->name().c_str());
  struct variant {
    const char* name;
    size_t (*run)(const std::vector<std::string>&);
  };
  const variant variants[] = {{"dom", dom_api},
                              {"ondemand (partial validation)", ondemand_api},
                              {"ondemand (whole document)", ondemand_validated},
                              {"nagare::json_reader", nagare_reader}};
  std::printf("%-32s %10s %14s\n", "variant", "MB/s", "records/s");
  for (const auto& v : variants) {
    if (!only.empty() && std::string_view(v.name).find(only) == std::string_view::npos) continue;
    double best = 1e30;
    size_t check = 0;
    for (int r = 0; r < runs; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      check = v.run(in);
      const std::chrono::duration<double> t = std::chrono::steady_clock::now() - t0;
      best = std::min(best, t.count());
    }
    std::printf("%-32s %10.0f %14.0f   (check %zu)\n", v.name, bytes / best / 1e6, n / best, check);
  }
}
