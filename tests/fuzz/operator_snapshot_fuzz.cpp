// Fuzz target "operator_snapshot": the contents of operators' snapshots as a
// restoring task hands them over (task_chain::restore, after
// restore_assembly): keyed state (inline, value, list and map states, window
// contents, timers), operator state (the parse adapter's dead-letter counts,
// the text source's split positions, a window's watermark). The operators
// are those of a real job: a text source through nagare::parse, a keyed
// process function with value, list and map state, and a tumbling window.
//
// The input is a series of snapshots, each in Nagare's own codecs: a byte
// choosing the operator, a byte whose low bit makes it a delta over the one
// before, its key groups (std::vector<std::pair<uint32_t, std::string>>) and
// its entries (std::vector<std::string>).
//
// Invariants: a refused snapshot is an io_error or invalid_argument; a
// restored chain's snapshot restores into a fresh chain whose snapshot is the
// same (restoring is a fixed point once through).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "nagare/detail/batch.hpp"
#include "nagare/job.hpp"
#include "nagare/map_state.hpp"
#include "nagare/parsed_source.hpp"
#include "plan.hpp"
#include "task_chain.hpp"

namespace nagare::fuzz {

namespace {

constexpr const char* target = "operator_snapshot";
using kv = std::pair<std::string, int64_t>;
using snapshots = std::vector<detail::operator_snapshot>;

std::optional<kv> parse_kv(const std::string& line) {
  auto comma = line.find(',');
  if (comma == std::string::npos) return std::nullopt;
  return kv{line.substr(0, comma), static_cast<int64_t>(line.size() - comma)};
}

// Per key: a sum (value state), the values (list state), a count per value (map state).
struct stats {
  value_state<int64_t> sum;
  list_state<int64_t> values;
  map_state<int64_t, uint64_t> counts;
  void open(state_context& ctx) {
    sum = ctx.value<int64_t>("sum");
    values = ctx.list<int64_t>("values");
    counts = ctx.map<int64_t, uint64_t>("counts");
  }
  void process(const kv& r, keyed_context<std::string>& ctx, collector<kv>& out) {
    out.emit({ctx.key(), sum.set_default(0) += r.second});
    values.add(r.second);
    counts.put(r.second, 1);
  }
};

class discard final : public detail::batch_emitter {
 public:
  void emit(uint32_t, owned<detail::record_batch>) override {}
};

struct job_shape {
  detail::graph g;
  physical_plan plan;
};

const job_shape& shape() {
  static const job_shape s = [] {
    job_shape out;
    job j(out.g);
    auto lines = j.source(parse(text_file_source({"/dev/null"}), parse_kv)).uid("lines");
    lines.with_timestamps([](const kv& r) { return r.second; });
    auto summed =
        lines.key_by([](const kv& r) { return r.first; }).process<kv>(stats{}).uid("stats");
    auto windows = summed.key_by([](const kv& r) { return r.first; })
                       .window(tumbling_event_time_windows(10))
                       .aggregate(count());
    windows.uid("window");
    windows.results().sink(stdout_sink<window_result<std::string, uint64_t>>());
    // Four key groups: a key the fuzzer makes up lands in its own often enough.
    out.plan = make_plan(out.g, "fuzz", {1, 4}).value();
    return out;
  }();
  return s;
}

std::unique_ptr<task_chain> open_chain(uint32_t vertex) {
  static discard emitter;
  auto c = task_chain::build(shape().g, shape().plan, vertex, 0, &emitter, chain_options{});
  NAGARE_FUZZ_CHECK(target, c.ok(), "cannot build the chain: " + c.error().message());
  auto opened = c.value()->open();
  NAGARE_FUZZ_CHECK(target, opened.ok(), "cannot open the chain: " + opened.message());
  return std::move(c.value());
}

// The state a snapshot holds (what the fixed point compares).
bool same_state(const snapshots& a, const snapshots& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].key_groups != b[i].key_groups || a[i].entries != b[i].entries) return false;
  return true;
}

void check_vertex(uint32_t vertex, const std::vector<snapshots>& per_operator) {
  auto chain = open_chain(vertex);
  auto restored = chain->restore(per_operator);
  if (!restored.ok()) {
    NAGARE_FUZZ_CHECK(
        target, restored.code() == errc::io_error || restored.code() == errc::invalid_argument,
        restored.message());
    return;
  }
  const auto first = chain->snapshot();
  std::vector<snapshots> again;
  for (const auto& s : first) again.push_back({s});
  auto fresh = open_chain(vertex);
  auto st = fresh->restore(again);
  NAGARE_FUZZ_CHECK(target, st.ok(), "a chain's own snapshot is refused: " + st.message());
  NAGARE_FUZZ_CHECK(target, same_state(fresh->snapshot(), first),
                    "vertex " + std::to_string(vertex) + ": restoring is not a fixed point");
}

// One snapshot in the input's form.
void append(std::string& out, size_t op, bool delta, const detail::operator_snapshot& s) {
  out.push_back(static_cast<char>(op));
  out.push_back(delta ? 1 : 0);
  codec<std::vector<std::pair<uint32_t, std::string>>>::encode(
      {s.key_groups.begin(), s.key_groups.end()}, out);
  codec<std::vector<std::string>>::encode(s.entries, out);
}

}  // namespace

std::vector<std::string> operator_snapshot_seeds() {
  const auto& plan = shape().plan;
  std::string all;
  std::vector<std::string> out;
  size_t first_op = 0;
  for (uint32_t v = 0; v < plan.vertices.size(); ++v) {
    auto chain = open_chain(v);
    if (!chain->is_source()) {
      detail::typed_batch<kv> batch;
      for (int64_t i = 0; i < 40; ++i) batch.records.push_back({"k" + std::to_string(i % 7), i});
      chain->process(0, batch);
      chain->advance_watermark(15);
    }
    std::string one;
    const auto snaps = chain->snapshot();
    for (size_t i = 0; i < snaps.size(); ++i) append(one, first_op + i, false, snaps[i]);
    out.push_back(one);
    all += one;
    first_op += snaps.size();
  }
  out.push_back(all);
  return out;
}

int fuzz_operator_snapshot(const uint8_t* data, size_t size) {
  const auto& plan = shape().plan;
  // Every operator of every vertex, in vertex order.
  std::vector<std::vector<snapshots>> state(plan.vertices.size());
  std::vector<std::pair<uint32_t, size_t>> operators;
  for (uint32_t v = 0; v < plan.vertices.size(); ++v) {
    state[v].resize(plan.vertices[v].nodes.size());
    for (size_t i = 0; i < plan.vertices[v].nodes.size(); ++i) operators.emplace_back(v, i);
  }
  byte_reader in(reinterpret_cast<const char*>(data), size);
  uint64_t checkpoint = 0;
  while (in.remaining() > 0) {
    uint8_t op = 0, flags = 0;
    std::vector<std::pair<uint32_t, std::string>> key_groups;
    detail::operator_snapshot s;
    if (!in.read(&op, 1) || !in.read(&flags, 1) ||
        !codec<decltype(key_groups)>::decode(in, key_groups) ||
        !codec<std::vector<std::string>>::decode(in, s.entries))
      break;
    for (auto& [kg, bytes] : key_groups) s.key_groups[kg] = std::move(bytes);
    s.checkpoint = ++checkpoint;
    auto [v, i] = operators[op % operators.size()];
    auto& chain = state[v][i];
    if ((flags & 1) && !chain.empty()) s.extends = chain.back().checkpoint;
    chain.push_back(std::move(s));
  }
  for (uint32_t v = 0; v < plan.vertices.size(); ++v) check_vertex(v, state[v]);
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_operator_snapshot)
