#include "plan.hpp"

#include <algorithm>
#include <sstream>

#include "nagare/hash.hpp"
#include "plan_generated.h"

namespace nagare {

namespace {

uint32_t channels_of(const exchange& e, uint32_t peer_parallelism) {
  return e.kind == detail::partition::forward ? 1 : peer_parallelism;
}

uint64_t fingerprint_of(const detail::graph& g, const std::vector<vertex>& vertices) {
  std::string shape;
  for (const auto& n : g.nodes) {
    shape += n.kind + '|' + n.name + '|' + n.uid + '|' + std::to_string(n.parallelism);
    for (const auto& e : n.inputs)
      shape += '<' + std::to_string(e.from) + ':' + std::to_string(int(e.kind));
    shape += ';';
  }
  for (const auto& v : vertices) shape += std::to_string(v.parallelism) + ',';
  return hash_bytes(shape.data(), shape.size());
}

}  // namespace

result<physical_plan> make_plan(const detail::graph& g, const std::string& job_name,
                                const plan_options& opts) {
  if (opts.max_parallelism < 1 || opts.max_parallelism > 32768)
    return status::invalid_argument("max parallelism must be between 1 and 32768");
  if (opts.parallelism < 1 || opts.parallelism > opts.max_parallelism)
    return status::invalid_argument("parallelism must be between 1 and the max parallelism (" +
                                    std::to_string(opts.max_parallelism) + ")");
  if (g.nodes.empty()) return status::invalid_argument("the job declares no operators");

  const auto n = g.nodes.size();
  std::vector<std::vector<uint32_t>> consumers(n);
  std::vector<uint32_t> par(n);
  bool has_source = false;
  for (const auto& node : g.nodes) {
    par[node.id] = node.parallelism ? node.parallelism : opts.parallelism;
    if (par[node.id] > opts.max_parallelism)
      return status::invalid_argument(
          "operator '" + node.name + "' has parallelism " + std::to_string(par[node.id]) +
          ", above the max parallelism " + std::to_string(opts.max_parallelism));
    has_source = has_source || node.is_source();
    for (const auto& e : node.inputs) consumers[e.from].push_back(node.id);
    if (node.inputs.size() > 1)
      return status::invalid_argument("operator '" + node.name +
                                      "' has several inputs (not supported yet)");
  }
  if (!has_source) return status::invalid_argument("the job declares no source");
  for (const auto& node : g.nodes)
    if (consumers[node.id].empty() && node.kind != "sink")
      return status::invalid_argument("the output of operator '" + node.name +
                                      "' is not consumed; end it with a sink");

  // Chain: a node joins its producer's vertex when it is the producer's only
  // consumer, reads it one-to-one and runs with the same parallelism.
  physical_plan p;
  p.job_name = job_name;
  p.max_parallelism = opts.max_parallelism;
  std::vector<uint32_t> vertex_of(n);
  for (const auto& node : g.nodes) {
    bool chained = false;
    if (node.inputs.size() == 1) {
      const auto& e = node.inputs[0];
      chained = e.kind == detail::partition::forward && consumers[e.from].size() == 1 &&
                par[e.from] == par[node.id];
    }
    if (chained) {
      auto& v = p.vertices[vertex_of[node.inputs[0].from]];
      v.nodes.push_back(node.id);
      v.name += " -> " + node.name;
      vertex_of[node.id] = v.id;
      continue;
    }
    vertex v;
    v.id = static_cast<uint32_t>(p.vertices.size());
    v.name = node.name;
    v.nodes = {node.id};
    v.parallelism = par[node.id];
    v.is_source = node.is_source();
    if (v.is_source && node.enumerator) {
      v.enumerator = node.enumerator(v.parallelism);
      v.enumerator_key = node.uid.empty() ? "#" + std::to_string(node.id) : node.uid;
    }
    vertex_of[node.id] = v.id;
    for (uint32_t gate = 0; gate < node.inputs.size(); ++gate) {
      const auto& e = node.inputs[gate];
      auto kind = e.kind;
      if (kind == detail::partition::forward && par[e.from] != v.parallelism)
        kind = detail::partition::rebalance;
      p.exchanges.push_back({vertex_of[e.from], v.id, kind, gate});
    }
    p.vertices.push_back(std::move(v));
  }
  p.fingerprint = fingerprint_of(g, p.vertices);
  return p;
}

std::vector<exchange> physical_plan::inputs_of(uint32_t v) const {
  std::vector<exchange> out;
  for (const auto& e : exchanges)
    if (e.target == v) out.push_back(e);
  std::sort(out.begin(), out.end(),
            [](const exchange& a, const exchange& b) { return a.gate < b.gate; });
  return out;
}

std::vector<exchange> physical_plan::outputs_of(uint32_t v) const {
  std::vector<exchange> out;
  for (const auto& e : exchanges)
    if (e.source == v) out.push_back(e);
  return out;
}

std::vector<uint32_t> physical_plan::output_offsets(uint32_t v) const {
  std::vector<uint32_t> out;
  uint32_t next = 0;
  for (const auto& e : outputs_of(v)) {
    out.push_back(next);
    next += channels_of(e, vertices[e.target].parallelism);
  }
  return out;
}

std::vector<uint32_t> physical_plan::input_gates(uint32_t v) const {
  std::vector<uint32_t> out;
  for (const auto& e : inputs_of(v))
    out.insert(out.end(), channels_of(e, vertices[e.source].parallelism), e.gate);
  return out;
}

std::vector<channel_peer> physical_plan::output_channels(uint32_t v, uint32_t subtask) const {
  std::vector<channel_peer> out;
  for (const auto& e : outputs_of(v)) {
    // The receiver numbers its input channels gate by gate.
    uint32_t gate_offset = 0;
    for (const auto& in : inputs_of(e.target)) {
      if (in.gate == e.gate) break;
      gate_offset += channels_of(in, vertices[in.source].parallelism);
    }
    if (e.kind == detail::partition::forward) {
      out.push_back({e.target, subtask, gate_offset});
    } else {
      for (uint32_t t = 0; t < vertices[e.target].parallelism; ++t)
        out.push_back({e.target, t, gate_offset + subtask});
    }
  }
  return out;
}

std::vector<channel_peer> physical_plan::input_channels(uint32_t v, uint32_t subtask) const {
  std::vector<channel_peer> out;
  for (const auto& e : inputs_of(v)) {
    // The sender numbers its output channels exchange by exchange.
    auto outs = outputs_of(e.source);
    auto offsets = output_offsets(e.source);
    uint32_t offset = 0;
    for (size_t i = 0; i < outs.size(); ++i)
      if (outs[i].target == v && outs[i].gate == e.gate) offset = offsets[i];
    if (e.kind == detail::partition::forward) {
      out.push_back({e.source, subtask, offset});
    } else {
      for (uint32_t s = 0; s < vertices[e.source].parallelism; ++s)
        out.push_back({e.source, s, offset + subtask});
    }
  }
  return out;
}

uint32_t physical_plan::task_count() const {
  uint32_t n = 0;
  for (const auto& v : vertices) n += v.parallelism;
  return n;
}

uint32_t physical_plan::task_index(uint32_t v, uint32_t subtask) const {
  uint32_t n = 0;
  for (uint32_t i = 0; i < v; ++i) n += vertices[i].parallelism;
  return n + subtask;
}

uint32_t physical_plan::max_vertex_parallelism() const {
  uint32_t m = 0;
  for (const auto& v : vertices) m = std::max(m, v.parallelism);
  return m;
}

std::string encode_plan(const physical_plan& p) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Vertex>> vs;
  for (const auto& v : p.vertices) {
    flatbuffers::Offset<fb::SourceEnumerator> en = 0;
    if (v.enumerator) {
      const auto& e = *v.enumerator;
      en = fb::CreateSourceEnumerator(
          b, b.CreateString(e.kind),
          b.CreateVector(reinterpret_cast<const uint8_t*>(e.config.data()), e.config.size()),
          e.discovery_interval_ms, e.bounded, b.CreateString(v.enumerator_key));
    }
    vs.push_back(fb::CreateVertex(b, v.id, b.CreateString(v.name), b.CreateVector(v.nodes),
                                  v.parallelism, v.is_source, en));
  }
  std::vector<flatbuffers::Offset<fb::Exchange>> es;
  for (const auto& e : p.exchanges)
    es.push_back(
        fb::CreateExchange(b, e.source, e.target, static_cast<fb::Partition>(e.kind), e.gate));
  b.Finish(fb::CreateJobPlan(b, b.CreateString(p.job_name), p.max_parallelism, b.CreateVector(vs),
                             b.CreateVector(es), p.fingerprint));
  return {reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()};
}

result<physical_plan> decode_plan(const std::string& bytes) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyJobPlanBuffer(verifier))
    return status(errc::invalid_argument, "malformed job plan");
  auto* fp = fb::GetJobPlan(bytes.data());
  auto malformed = [](const std::string& why) {
    return status(errc::invalid_argument, "malformed job plan: " + why);
  };
  physical_plan p;
  p.job_name = fp->job_name() ? fp->job_name()->str() : "";
  p.max_parallelism = fp->max_parallelism();
  p.fingerprint = fp->fingerprint();
  if (p.max_parallelism < 1 || p.max_parallelism > 32768)
    return malformed("max parallelism out of range");
  if (fp->vertices()) {
    for (const auto* v : *fp->vertices()) {
      vertex out;
      out.id = v->id();
      out.name = v->name() ? v->name()->str() : "";
      if (v->operators()) out.nodes.assign(v->operators()->begin(), v->operators()->end());
      out.parallelism = v->parallelism();
      out.is_source = v->is_source();
      if (const auto* e = v->enumerator()) {
        enumerator_spec spec;
        spec.kind = e->kind() ? e->kind()->str() : "";
        if (e->config())
          spec.config.assign(reinterpret_cast<const char*>(e->config()->data()),
                             e->config()->size());
        spec.discovery_interval_ms = e->discovery_interval_ms();
        spec.bounded = e->bounded();
        out.enumerator = std::move(spec);
        out.enumerator_key = e->state_key() ? e->state_key()->str() : "";
      }
      if (out.id != p.vertices.size() || out.nodes.empty() || out.parallelism == 0 ||
          out.parallelism > p.max_parallelism)
        return malformed("bad vertex " + std::to_string(out.id));
      p.vertices.push_back(std::move(out));
    }
  }
  if (fp->exchanges()) {
    for (const auto* e : *fp->exchanges()) {
      exchange out{e->source_vertex(), e->target_vertex(),
                   static_cast<detail::partition>(e->partition()), e->gate()};
      if (out.source >= p.vertices.size() || out.target >= p.vertices.size())
        return malformed("exchange to an unknown vertex");
      if (static_cast<uint8_t>(out.kind) > static_cast<uint8_t>(detail::partition::keyed))
        return malformed("unknown partition kind");
      if (out.kind == detail::partition::forward &&
          p.vertices[out.source].parallelism != p.vertices[out.target].parallelism)
        return malformed("forward exchange between different parallelisms");
      // Vertices are numbered producers first (make_plan), so the graph has no cycle.
      if (out.source >= out.target) return malformed("exchange to an earlier vertex");
      p.exchanges.push_back(out);
    }
  }
  // The channel layout numbers a vertex's input channels gate by gate: its
  // gates must be 0, 1, ... each once.
  for (const auto& v : p.vertices) {
    auto inputs = p.inputs_of(v.id);
    for (uint32_t gate = 0; gate < inputs.size(); ++gate)
      if (inputs[gate].gate != gate)
        return malformed("vertex " + std::to_string(v.id) + " has no input gate " +
                         std::to_string(gate) + " or two of it");
  }
  return p;
}

std::string describe(const physical_plan& p) {
  std::ostringstream os;
  static const char* kinds[] = {"forward", "rebalance", "keyed"};
  for (const auto& v : p.vertices) {
    os << "vertex " << v.id << " [" << v.parallelism << "] " << v.name;
    if (v.enumerator) os << "  (splits: " << v.enumerator->kind << ")";
    for (const auto& e : p.inputs_of(v.id))
      os << "  <- " << kinds[int(e.kind)] << " from vertex " << e.source;
    os << '\n';
  }
  return os.str();
}

}  // namespace nagare
