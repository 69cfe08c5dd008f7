// The practical limit for the enrichment benchmark: a hand-written,
// single-threaded loop that computes what jobs/order_totals computes (orders
// enriched with their customer's region from Redis or PostgreSQL, then the
// number and total amount of orders per region and 10 s tumbling window).
//
//   enrichment_baseline --input FILE --customers URI --output FILE
//       [--cache on|off] [--batch N] [--in-flight N] [--window MS]
//
// It looks the keys up with the engine's own table readers
// (nagare::detail::make_redis_table_reader / make_postgres_table_reader,
// nagare/table_reader.hpp): they are thin layers over hiredis and libpq
// (HMGET per batch of keys, or a prepared SELECT ... = ANY($1) per batch, all
// batches pipelined in one round trip), so the loop uses the same client
// library with the same batching as the job, and the engine/loop ratio
// measures the engine's overhead beyond the client: the lookup operator, its
// cache and I/O thread, the window operator and the file sink.
//
// The loop reads FILE ("timestamp_ms,order_id,customer_id,amount_cents" per
// line) in chunks of up to --in-flight records (default 1000, the lookup's
// in_flight), collects the distinct keys of a chunk that its cache does not
// hold (--cache on, the default: a std::unordered_map without eviction, which
// keeps "not in the table" too, as the lookup's cache does; --cache off: no
// cache, every key of the chunk goes to the table), reads them in one
// reader->read() (commands of --batch keys, default 256), then adds the
// chunk's orders to their (region, window) totals; a customer not in the
// table counts under "unknown". At the end it writes the lines the job's
// file sink writes, "region,window_start,window_end,orders,amount_cents",
// into the output FILE, and on standard error the lookups it did:
//   enrichment_baseline: H cache hits, M misses, R round trips
// URI options of the lookup (cache=, batch=, in_flight=, ...) in URI are
// ignored here: the flags say what the loop does. The input must not have
// malformed lines (the generator of scripts/lib/bench_enrichment.py writes
// none) and nothing is late: the loop has no watermarks.
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nagare/connector_uri.hpp"
#include "nagare/table_reader.hpp"

namespace {

struct options {
  std::string input;
  std::string customers;
  std::string output;
  bool cache = true;
  uint32_t batch = 256;
  uint32_t in_flight = 1000;
  int64_t window_ms = 10000;
};

int usage(const std::string& message) {
  std::fprintf(stderr,
               "enrichment_baseline: %s\n"
               "usage: enrichment_baseline --input FILE --customers URI --output FILE "
               "[--cache on|off] [--batch N] [--in-flight N] [--window MS]\n",
               message.c_str());
  return 2;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "enrichment_baseline: %s\n", message.c_str());
  return 1;
}

bool parse_positive(const std::string& text, uint64_t max, uint64_t& out) {
  if (text.empty() || text[0] == '-') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno != 0 || n == 0 || n > max) return false;
  out = n;
  return true;
}

struct order {
  int64_t ts = 0;
  int64_t amount = 0;
  std::string customer;
};

// "timestamp_ms,order_id,customer_id,amount_cents" (without its newline).
bool parse_order(std::string_view line, order& o) {
  size_t c0 = line.find(',');
  size_t c1 = c0 == std::string_view::npos ? c0 : line.find(',', c0 + 1);
  size_t c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
  if (c2 == std::string_view::npos || line.find(',', c2 + 1) != std::string_view::npos)
    return false;
  char* end = nullptr;
  std::string ts(line.substr(0, c0)), amount(line.substr(c2 + 1));
  errno = 0;
  o.ts = std::strtoll(ts.c_str(), &end, 10);
  if (ts.empty() || *end != '\0' || errno != 0) return false;
  o.amount = std::strtoll(amount.c_str(), &end, 10);
  if (amount.empty() || *end != '\0' || errno != 0) return false;
  o.customer.assign(line.substr(c1 + 1, c2 - c1 - 1));
  return !o.customer.empty();
}

struct totals {
  uint64_t orders = 0;
  uint64_t amount = 0;  // wrapping modulo 2^64, as the job's accumulator
};

}  // namespace

int main(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage("missing value for " + arg);
    std::string value = argv[++i];
    uint64_t n = 0;
    if (arg == "--input") {
      opts.input = value;
    } else if (arg == "--customers") {
      opts.customers = value;
    } else if (arg == "--output") {
      opts.output = value;
    } else if (arg == "--cache") {
      if (value != "on" && value != "off") return usage("--cache must be on or off");
      opts.cache = value == "on";
    } else if (arg == "--batch") {
      if (!parse_positive(value, UINT32_MAX, n)) return usage("--batch must be a positive integer");
      opts.batch = static_cast<uint32_t>(n);
    } else if (arg == "--in-flight") {
      if (!parse_positive(value, UINT32_MAX, n))
        return usage("--in-flight must be a positive integer");
      opts.in_flight = static_cast<uint32_t>(n);
    } else if (arg == "--window") {
      if (!parse_positive(value, INT64_MAX, n)) return usage("--window must be a positive integer");
      opts.window_ms = static_cast<int64_t>(n);
    } else {
      return usage("unknown option " + arg);
    }
  }
  if (opts.input.empty() || opts.customers.empty() || opts.output.empty())
    return usage("--input, --customers and --output are required");

  auto uri = nagare::parse_connector_uri(opts.customers);
  if (!uri.ok()) return fail(uri.error().message());
  nagare::detail::table_reader_options reader_opts;
  reader_opts.batch_keys = opts.batch;
  auto reader = uri->type == nagare::connector_uri::kind::redis
                    ? nagare::detail::make_redis_table_reader(uri.value(), reader_opts)
                : uri->type == nagare::connector_uri::kind::postgresql
                    ? nagare::detail::make_postgres_table_reader(uri.value(), reader_opts)
                    : nagare::result<nagare::owned<nagare::detail::table_reader>>(
                          nagare::status::invalid_argument("--customers: not a redis:// or "
                                                           "postgresql:// URI"));
  if (!reader.ok()) return fail(reader.error().message());

  std::FILE* in = std::fopen(opts.input.c_str(), "r");
  if (!in) return fail(opts.input + ": " + std::strerror(errno));

  // customer -> region (nullopt: not in the table). With --cache on it keeps
  // every answer; with --cache off it holds the current chunk's answers only.
  std::unordered_map<std::string, std::optional<std::string>> answers;
  // region -> window start -> totals
  std::unordered_map<std::string, std::unordered_map<int64_t, totals>> windows;
  std::vector<order> chunk(opts.in_flight);
  std::vector<std::string> keys, values;
  std::vector<uint8_t> found;
  uint64_t hits = 0, misses = 0, round_trips = 0, records = 0;
  char* line = nullptr;
  size_t capacity = 0;
  bool more = true;
  while (more) {
    size_t n = 0;
    while (n < chunk.size()) {
      ssize_t len = ::getline(&line, &capacity, in);
      if (len < 0) {
        more = false;
        break;
      }
      if (len > 0 && line[len - 1] == '\n') --len;
      if (!parse_order(std::string_view(line, static_cast<size_t>(len)), chunk[n]))
        return fail("malformed line " + std::to_string(records + n + 1) + " in " + opts.input);
      ++n;
    }
    if (n == 0) break;
    records += n;

    if (!opts.cache) answers.clear();
    keys.clear();
    for (size_t i = 0; i < n; ++i) {
      auto [it, added] = answers.try_emplace(chunk[i].customer);
      if (added) {
        keys.push_back(chunk[i].customer);
        ++misses;
      } else if (opts.cache) {
        ++hits;  // held from an earlier chunk (or asked already in this one)
      } else {
        ++misses;  // no cache: the job sends this key too (its round trip asks it once)
      }
    }
    if (!keys.empty()) {
      if (auto st = reader.value()->read(keys, values, found); !st.ok())
        return fail("lookup: " + st.message());
      ++round_trips;
      for (size_t k = 0; k < keys.size(); ++k)
        if (found[k]) answers[keys[k]] = std::move(values[k]);
    }

    static const std::string unknown = "unknown";
    for (size_t i = 0; i < n; ++i) {
      const auto& region = answers.find(chunk[i].customer)->second;
      int64_t start = chunk[i].ts - ((chunk[i].ts % opts.window_ms) + opts.window_ms) % opts.window_ms;
      auto& t = windows[region ? *region : unknown][start];
      ++t.orders;
      t.amount += static_cast<uint64_t>(chunk[i].amount);
    }
  }
  bool read_error = std::ferror(in) != 0;
  std::free(line);
  std::fclose(in);
  if (read_error) return fail(opts.input + ": read error");

  std::FILE* out = std::fopen(opts.output.c_str(), "w");
  if (!out) return fail(opts.output + ": " + std::strerror(errno));
  for (const auto& [region, per_window] : windows)
    for (const auto& [start, t] : per_window)
      std::fprintf(out, "%s,%" PRId64 ",%" PRId64 ",%" PRIu64 ",%" PRId64 "\n", region.c_str(),
                   start, start + opts.window_ms, t.orders, static_cast<int64_t>(t.amount));
  if (std::fclose(out) != 0) return fail(opts.output + ": write error");
  std::fprintf(stderr, "enrichment_baseline: %" PRIu64 " records, %" PRIu64 " cache hits, %" PRIu64
               " misses, %" PRIu64 " round trips\n",
               records, hits, misses, round_trips);
  return 0;
}
