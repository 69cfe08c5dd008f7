// OrderTotals: orders enriched with their customer's region from an external
// table, then the number and the total amount of the orders per region and
// event-time tumbling window.
//
//   nagare run build/jobs/liborder_totals.so -- --input URI [URI...] --customers URI
//       --output URI --window tumbling:SIZE_MS --out-of-orderness MS [--dead-letter URI]
//
// --input names files, a directory, Kafka topics or Redis streams
// (nagare/connector_uri.hpp): one order per line (per message, per stream
// entry's `line` field), "timestamp_ms,order_id,customer_id,amount_cents":
// the timestamp and the amount signed 64-bit decimal integers, the ids
// non-empty text without commas. Other lines are dead letters, written
// exactly once into --dead-letter (default DIR/_dead-letter for a directory
// output, standard error for a database).
//
// --customers is the table from customer id to region (nagare/lookup.hpp):
//   postgresql://[USER@]HOST:PORT/DB?table=customers&key=id&value=region
//   redis://HOST:PORT?hash=customers                  (HGET customers ID)
// with the lookup's options (cache=, ttl=, timeout=, ...). An order whose
// customer is not in the table counts under the region "unknown".
//
// Event time is the order's timestamp; each input split's watermark is its
// largest timestamp so far - MS - 1 (--out-of-orderness). A window fires when
// the watermark passes its end and writes, per region,
//   region,window_start,window_end,orders,amount_cents
// as a line (a directory output: the exactly-once file sink; Kafka, stdout:)
// or, with --output postgresql://.../DB?table=region_totals, as a row
// (region text, window_start bigint, window_end bigint, orders bigint,
// amount_cents bigint) written exactly once through PostgreSQL's two-phase
// commit (nagare/postgres_sink.hpp). With --output redis://HOST:PORT?hash=H
// the line is the value of field "region,window_start" of hash H, written
// exactly once (nagare/redis_sink.hpp). Orders too late for their window go
// to the late output (DIR/late, or standard error).
#include <nagare/connector.hpp>
#include <nagare/lookup.hpp>
#include <nagare/nagare.hpp>
#include <nagare/parsed_source.hpp>
#include <nagare/window.hpp>

#include <charconv>
#include <system_error>

namespace {

struct order {
  int64_t ts = 0;
  int64_t amount = 0;
  std::string customer;
};

// An order with its customer's region.
struct regional_order {
  int64_t ts = 0;
  int64_t amount = 0;
  std::string region;
};

}  // namespace

template <>
struct nagare::codec<order> {
  static void encode(const order& o, std::string& out) {
    codec<int64_t>::encode(o.ts, out);
    codec<int64_t>::encode(o.amount, out);
    codec<std::string>::encode(o.customer, out);
  }
  static bool decode(byte_reader& in, order& o) {
    return codec<int64_t>::decode(in, o.ts) && codec<int64_t>::decode(in, o.amount) &&
           codec<std::string>::decode(in, o.customer);
  }
};

template <>
struct nagare::codec<regional_order> {
  static void encode(const regional_order& o, std::string& out) {
    codec<int64_t>::encode(o.ts, out);
    codec<int64_t>::encode(o.amount, out);
    codec<std::string>::encode(o.region, out);
  }
  static bool decode(byte_reader& in, regional_order& o) {
    return codec<int64_t>::decode(in, o.ts) && codec<int64_t>::decode(in, o.amount) &&
           codec<std::string>::decode(in, o.region);
  }
};

namespace {

// An order as dead letters of failed lookups show it.
void format_record(const order& o, std::string& out) {
  out += std::to_string(o.ts);
  out += ",?,";
  out += o.customer;
  out += ',';
  out += std::to_string(o.amount);
}

void format_late(const regional_order& o, std::string& out) {
  out += std::to_string(o.ts);
  out += ',';
  out += o.region;
  out += ',';
  out += std::to_string(o.amount);
}

bool parse_int(const char* first, const char* last, int64_t& out) {
  if (first == last) return false;
  auto [end, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && end == last;
}

// "timestamp_ms,order_id,customer_id,amount_cents"; a malformed line gets its
// reason.
nagare::result<order> parse_order(const std::string& line) {
  size_t c[3];
  size_t from = 0;
  for (auto& comma : c) {
    comma = line.find(',', from);
    if (comma == std::string::npos)
      return nagare::malformed("not four comma-separated fields");
    from = comma + 1;
  }
  if (line.find(',', from) != std::string::npos)
    return nagare::malformed("not four comma-separated fields");
  if (c[1] == c[0] + 1) return nagare::malformed("empty order id");
  if (c[2] == c[1] + 1) return nagare::malformed("empty customer id");
  order o;
  const char* p = line.data();
  if (!parse_int(p, p + c[0], o.ts)) return nagare::malformed("timestamp is not a 64-bit integer");
  if (!parse_int(p + c[2] + 1, p + line.size(), o.amount))
    return nagare::malformed("amount is not a 64-bit integer");
  o.customer.assign(line, c[1] + 1, c[2] - c[1] - 1);
  return o;
}

// The number of orders and their total amount (wrapping modulo 2^64).
struct orders_and_amount {
  struct accumulator {
    uint64_t orders = 0;
    uint64_t amount = 0;
    bool operator==(const accumulator& o) const {
      return orders == o.orders && amount == o.amount;
    }
  };
  accumulator create() const { return {}; }
  void add(accumulator& a, const regional_order& o) const {
    ++a.orders;
    a.amount += static_cast<uint64_t>(o.amount);
  }
  void merge(accumulator& a, const accumulator& b) const {
    a.orders += b.orders;
    a.amount += b.amount;
  }
  accumulator result(const accumulator& a) const { return a; }
};

using total = nagare::window_result<std::string, orders_and_amount::accumulator>;

void format_total(const total& t, std::string& out) {
  out += t.key;
  out += ',';
  out += std::to_string(t.start);
  out += ',';
  out += std::to_string(t.end);
  out += ',';
  out += std::to_string(t.value.orders);
  out += ',';
  out += std::to_string(static_cast<int64_t>(t.value.amount));
}

void total_row(const total& t, std::vector<std::string>& row) {
  row.push_back(t.key);
  row.push_back(std::to_string(t.start));
  row.push_back(std::to_string(t.end));
  row.push_back(std::to_string(t.value.orders));
  row.push_back(std::to_string(static_cast<int64_t>(t.value.amount)));
}

nagare::result<int64_t> tumbling_size(const std::string& spec) {
  const std::string prefix = "tumbling:";
  int64_t size = 0;
  if (spec.compare(0, prefix.size(), prefix) != 0 ||
      !parse_int(spec.data() + prefix.size(), spec.data() + spec.size(), size) || size <= 0)
    return nagare::status::invalid_argument("--window '" + spec +
                                            "': expected tumbling:SIZE_MS (a positive integer)");
  return size;
}

nagare::status build(nagare::job& job, const nagare::job_args& args) {
  if (auto st = args.only({"--input", "--customers", "--output", "--window", "--out-of-orderness",
                           "--dead-letter"});
      !st.ok())
    return st;
  auto input = nagare::line_source::from_option(args, "--input");
  if (!input.ok()) return input.error();
  auto customers_uri = args.required("--customers");
  if (!customers_uri.ok()) return customers_uri.error();
  auto customers = nagare::lookup_table::from_uri(*customers_uri);
  if (!customers.ok()) return customers.error();
  auto output = args.required("--output");
  if (!output.ok()) return output.error();
  auto spec = args.required("--window");
  if (!spec.ok()) return spec.error();
  auto size = tumbling_size(*spec);
  if (!size.ok()) return size.error();
  if (!args.has("--out-of-orderness"))
    return nagare::status::invalid_argument("missing --out-of-orderness MS");
  auto bound = args.integer("--out-of-orderness", 0, 0);
  if (!bound.ok()) return bound.error();

  auto results = nagare::uri_sink<total>::from_uri(
      *output, format_total,
      [](const total& t, std::string& key) {  // a Redis hash field, a Kafka message key
        key += t.key;
        key += ',';
        key += std::to_string(t.start);
      },
      total_row);
  if (!results.ok()) return results.error();
  nagare::result<std::string> dead_letter = nagare::side_output_uri(*output, "_dead-letter");
  if (args.has("--dead-letter")) dead_letter = args.required("--dead-letter");
  if (!dead_letter.ok()) return dead_letter.error();
  auto dead_letters = nagare::uri_sink<nagare::dead_letter>::from_uri(
      *dead_letter, nagare::default_formatter<nagare::dead_letter>());
  if (!dead_letters.ok()) return dead_letters.error();
  auto late = nagare::uri_sink<regional_order>::from_uri(nagare::side_output_uri(*output, "late"),
                                                         format_late);
  if (!late.ok()) return late.error();

  auto strategy = nagare::watermark_strategy<order>::bounded_out_of_orderness(
      *bound, [](const order& o) { return o.ts; });
  auto source = nagare::parse(input.value(), parse_order).dead_letters(dead_letters.value());
  auto orders = job.source(source, strategy).name("orders").uid("orders");
  auto regional =
      orders
          .lookup(
              customers.value(), [](const order& o) -> const std::string& { return o.customer; },
              [](order&& o, const std::string* region) {
                return regional_order{o.ts, o.amount, region ? *region : "unknown"};
              })
          .name("customer region")
          .uid("customer region")
          .with_timestamps([](const regional_order& o) { return o.ts; });
  auto windows =
      regional
          .key_by([](const regional_order& o) -> const std::string& { return o.region; })
          .window(nagare::tumbling_event_time_windows(*size))
          .aggregate(orders_and_amount{});
  windows.name("totals").uid("totals");
  windows.results().sink(results.value()).name("write").uid("write");
  windows.late_records().sink(late.value()).name("write late").uid("write late");
  return {};
}

}  // namespace

NAGARE_JOB("order_totals", build)
