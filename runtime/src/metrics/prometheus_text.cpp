#include "metrics/prometheus_text.hpp"

#include <charconv>
#include <cmath>
#include <map>

namespace nagare {

std::string prometheus_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string prometheus_label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

namespace {

std::string help_text(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// {a="x",b="y"}, with `extra` (such as le="0.5") last; "" without labels.
std::string label_text(const metric_group::labels& labels, const std::string& extra = "") {
  std::string out;
  for (auto& [k, v] : labels) {
    out += out.empty() ? "{" : ",";
    out += k + "=\"" + prometheus_label_value(v) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "{" : ",") + extra;
  return out.empty() ? out : out + "}";
}

struct family {
  std::string help;
  const char* type = "gauge";
  std::vector<std::string> samples;  // whole lines
};

}  // namespace

std::string prometheus_text(const std::vector<std::shared_ptr<metric_group>>& groups) {
  std::map<std::string, family> families;  // sorted by name: a stable order to read
  auto add = [&](const std::string& name, const std::string& help, const char* type,
                 std::string line) {
    auto& f = families[name];
    if (f.samples.empty()) {
      f.help = help;
      f.type = type;
    }
    f.samples.push_back(std::move(line));
  };
  for (auto& g : groups) {
    const auto& labels = g->label_set();
    auto lt = label_text(labels);
    for (auto& e : g->entries()) {
      auto base = g->prefix() + e.name;
      switch (e.kind) {
        case metric_kind::counter: {
          auto* c = static_cast<const counter*>(e.metric);
          double v = static_cast<double>(c->value()) * e.scale;
          add(base + "_total", e.help, "counter",
              base + "_total" + lt + " " + prometheus_number(v));
          break;
        }
        case metric_kind::gauge: {
          auto* m = static_cast<const gauge*>(e.metric);
          add(base, e.help, "gauge", base + lt + " " + prometheus_number(m->value()));
          break;
        }
        case metric_kind::histogram: {
          auto s = static_cast<const histogram*>(e.metric)->read();
          for (size_t i = 0; i < s.cumulative.size(); ++i) {
            auto le = i < s.upper_bounds.size() ? prometheus_number(s.upper_bounds[i]) : "+Inf";
            add(base, e.help, "histogram",
                base + "_bucket" + label_text(labels, "le=\"" + le + "\"") + " " +
                    std::to_string(s.cumulative[i]));
          }
          add(base, e.help, "histogram", base + "_sum" + lt + " " + prometheus_number(s.sum));
          add(base, e.help, "histogram", base + "_count" + lt + " " + std::to_string(s.count()));
          break;
        }
        case metric_kind::meter: {
          auto* m = static_cast<const meter*>(e.metric);
          add(base + "_total", e.help, "counter",
              base + "_total" + lt + " " + std::to_string(m->count()));
          add(base + "_per_second", e.help + " (per second over the last minute)", "gauge",
              base + "_per_second" + lt + " " + prometheus_number(m->rate()));
          break;
        }
      }
    }
  }
  std::string out;
  for (auto& [name, f] : families) {
    out += "# HELP " + name + " " + help_text(f.help) + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    for (auto& line : f.samples) out += line + "\n";
  }
  return out;
}

}  // namespace nagare
