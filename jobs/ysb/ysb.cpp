// YSB: the Yahoo Streaming Benchmark's job (github.com/yahoo/streaming-benchmarks)
// with final event-time window counts.
//
//   nagare run build/jobs/libysb.so -- --input URI [URI...] --ads URI --output URI
//       [--window-ms 10000] [--out-of-orderness MS] [--late URI]
//
// --input names files or Kafka topics (nagare/connector_uri.hpp):
// one ad event per line (message), a JSON object with string fields ad_id
// (a UUID), event_type and event_time (epoch milliseconds as decimal text),
// as YSB's generator writes them (scripts/ysb, tests/bench/ysb_generate). The
// job keeps the views (event_type "view"), looks up each view's campaign by
// its ad (--ads redis://HOST:PORT: GET AD_ID, through the cached asynchronous
// lookup of nagare/lookup.hpp, with its options: cache=, timeout=, ...), and
// counts the views per campaign in tumbling event-time windows of
// --window-ms. A window is written once, when the watermark passes its end:
// each split's watermark is its largest event time so far minus MS minus 1
// (--out-of-orderness, default 0).
//
// Output per window and campaign:
//   a directory, Kafka, stdout:   the line "campaign_id,window_start_ms,count"
//                                 (exactly once into a directory)
//   redis://HOST:PORT             YSB's layout, written exactly once
//                                 (nagare/redis_sink.hpp, commands target):
//     HSET campaign_id window_start_ms WINDOW_KEY   the window's key
//     HSET campaign_id windows LIST_KEY             the list of its windows
//     LPUSH LIST_KEY window_start_ms                (once per window)
//     HSET WINDOW_KEY seen_count COUNT time_updated NOW_MS
//   where WINDOW_KEY and LIST_KEY are UUIDs derived from the campaign (and
//   the window), the same in every run; time_updated is the wall clock when
//   the window's count reached the sink.
// Views of ads in no campaign are dropped and counted: the side output
// "_unknown-ads" of the output (nagare::side_output_uri) gets
// "window_start_ms,count" per window. Views too late for their window go to
// --late (default the side output "late"), as "campaign_id,event_time_ms".
// A line that is not such an event is a dead letter ("_dead-letter").
#include <nagare/connector.hpp>
#include <nagare/json.hpp>
#include <nagare/lookup.hpp>
#include <nagare/nagare.hpp>
#include <nagare/parsed_source.hpp>
#include <nagare/redis_sink.hpp>
#include <nagare/window.hpp>

#include <chrono>
#include <charconv>
#include <system_error>

#include "uuid.hpp"

namespace {

using ysb::uuid;

// An event as the job needs it.
struct ad_event {
  uuid ad{};
  int64_t time = 0;
  bool view = false;
};

// A view with its ad's campaign ({0, 0}: the ad is in no campaign).
struct campaign_view {
  uuid campaign{};
  int64_t time = 0;
};

constexpr uuid no_campaign{0, 0};

}  // namespace

template <>
struct nagare::codec<ad_event> {
  static void encode(const ad_event& e, std::string& out) {
    codec<uuid>::encode(e.ad, out);
    codec<int64_t>::encode(e.time, out);
    codec<bool>::encode(e.view, out);
  }
  static bool decode(byte_reader& in, ad_event& e) {
    return codec<uuid>::decode(in, e.ad) && codec<int64_t>::decode(in, e.time) &&
           codec<bool>::decode(in, e.view);
  }
};

template <>
struct nagare::codec<campaign_view> {
  static void encode(const campaign_view& v, std::string& out) {
    codec<uuid>::encode(v.campaign, out);
    codec<int64_t>::encode(v.time, out);
  }
  static bool decode(byte_reader& in, campaign_view& v) {
    return codec<uuid>::decode(in, v.campaign) && codec<int64_t>::decode(in, v.time);
  }
};

namespace {

using window_count = nagare::window_result<uuid, uint64_t>;

// The fields the job reads; a view whose ad_id or event_time is not what
// YSB writes is a dead letter with the reason. Other events are only
// checked for their event_type and event_time (they advance event time).
nagare::result<ad_event> parse_event(const nagare::json_reader& j) {
  auto type = j.string("event_type");
  if (!type.ok()) return type.error();
  auto time = j.string("event_time");
  if (!time.ok()) return time.error();
  ad_event e;
  const char* end = time->data() + time->size();
  auto [p, ec] = std::from_chars(time->data(), end, e.time);
  if (ec != std::errc() || p != end || time->empty())
    return nagare::malformed("event_time is not epoch milliseconds");
  e.view = *type == "view";
  if (!e.view) return e;
  auto ad = j.string("ad_id");
  if (!ad.ok()) return ad.error();
  if (!ysb::parse_uuid(*ad, e.ad)) return nagare::malformed("ad_id is not a UUID");
  return e;
}

void format_count(const window_count& w, std::string& out) {
  ysb::append_uuid(w.key, out);
  out += ',';
  out += std::to_string(w.start);
  out += ',';
  out += std::to_string(w.value);
}

void format_unknown(const window_count& w, std::string& out) {
  out += std::to_string(w.start);
  out += ',';
  out += std::to_string(w.value);
}

void format_late(const campaign_view& v, std::string& out) {
  if (v.campaign == no_campaign)
    out += "unknown";
  else
    ysb::append_uuid(v.campaign, out);
  out += ',';
  out += std::to_string(v.time);
}

// YSB's layout of one window's count (see the top of the file). Applying the
// commands twice leaves what applying them once did.
void ysb_commands(const window_count& w, nagare::redis_output_record& out) {
  auto campaign = ysb::uuid_text(w.key);
  auto start = std::to_string(w.start);
  auto list = ysb::uuid_text(ysb::derived_uuid(w.key.first, w.key.second));
  auto window = ysb::uuid_text(
      ysb::derived_uuid(w.key.first ^ static_cast<uint64_t>(w.start), w.key.second));
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  out.commands = {
      {"HSET", campaign, start, window},
      {"HSET", campaign, "windows", list},
      {"LREM", list, "0", start},
      {"LPUSH", list, start},
      {"HSET", window, "seen_count", std::to_string(w.value), "time_updated",
       std::to_string(now)},
  };
}

// The sink of the counts: YSB's layout for redis://, lines otherwise.
nagare::result<nagare::uri_sink<window_count>> counts_sink(const std::string& text) {
  return nagare::uri_sink<window_count>::from_uri(
      text, format_count, [](const window_count& w, std::string& key) {
        ysb::append_uuid(w.key, key);  // a Kafka message key
      });
}

nagare::result<nagare::redis_sink<window_count>> ysb_layout_sink(
    const nagare::connector_uri& uri) {
  const auto& text = uri.text;
  auto config = nagare::redis_output_of(uri);
  if (!config.ok()) return config.error();
  if (config->target != nagare::redis_target::keys || !config->prefix.empty())
    return nagare::status::invalid_argument(
        "--output '" + text + "': YSB's layout takes no stream, hash= or prefix=");
  config->target = nagare::redis_target::commands;
  config->name = "ysb";
  return nagare::redis_sink<window_count>(std::move(config.value()), ysb_commands);
}

nagare::status build(nagare::job& job, const nagare::job_args& args) {
  if (auto st = args.only(
          {"--input", "--ads", "--output", "--window-ms", "--out-of-orderness", "--late"});
      !st.ok())
    return st;
  auto input = nagare::line_source::from_option(args, "--input");
  if (!input.ok()) return input.error();
  auto ads_uri = args.required("--ads");
  if (!ads_uri.ok()) return ads_uri.error();
  auto ads = nagare::lookup_table::from_uri(*ads_uri);
  if (!ads.ok()) return ads.error();
  auto output = args.required("--output");
  if (!output.ok()) return output.error();
  auto window_ms = args.integer("--window-ms", 10000, 1);
  if (!window_ms.ok()) return window_ms.error();
  auto bound = args.integer("--out-of-orderness", 0, 0);
  if (!bound.ok()) return bound.error();
  nagare::result<std::string> late_uri = nagare::side_output_uri(*output, "late");
  if (args.has("--late")) late_uri = args.required("--late");
  if (!late_uri.ok()) return late_uri.error();

  auto dead_letters = nagare::uri_sink<nagare::dead_letter>::from_uri(
      nagare::side_output_uri(*output, "_dead-letter"),
      nagare::default_formatter<nagare::dead_letter>());
  if (!dead_letters.ok()) return dead_letters.error();
  auto unknown = nagare::uri_sink<window_count>::from_uri(
      nagare::side_output_uri(*output, "_unknown-ads"), format_unknown);
  if (!unknown.ok()) return unknown.error();
  auto late = nagare::uri_sink<campaign_view>::from_uri(*late_uri, format_late);
  if (!late.ok()) return late.error();

  auto strategy = nagare::watermark_strategy<ad_event>::bounded_out_of_orderness(
      *bound, [](const ad_event& e) { return e.time; });
  auto events = nagare::parse(input.value(), nagare::json(parse_event))
                    .dead_letters(dead_letters.value());
  auto views =
      job.source(events, strategy)
          .name("events")
          .uid("events")
          .filter([](const ad_event& e) { return e.view; })
          .name("views")
          .lookup(
              ads.value(), [](const ad_event& e) { return ysb::uuid_text(e.ad); },
              [](ad_event&& e, const std::string* campaign) {
                campaign_view v{no_campaign, e.time};
                if (campaign && !ysb::parse_uuid(*campaign, v.campaign)) v.campaign = no_campaign;
                return v;
              })
          .name("campaign")
          .uid("campaign")
          .with_timestamps([](const campaign_view& v) { return v.time; });
  auto windows = views.key_by([](const campaign_view& v) { return v.campaign; })
                     .window(nagare::tumbling_event_time_windows(*window_ms))
                     .aggregate(nagare::count());
  windows.name("count").uid("count");
  auto results = windows.results();
  auto known = results.filter([](const window_count& w) { return w.key != no_campaign; })
                   .name("campaigns");
  auto output_uri = nagare::parse_connector_uri(*output);
  if (!output_uri.ok()) return output_uri.error();
  if (output_uri->type == nagare::connector_uri::kind::redis) {
    auto layout = ysb_layout_sink(output_uri.value());
    if (!layout.ok()) return layout.error();
    known.sink(layout.value()).name("write").uid("write");
  } else {
    auto counts = counts_sink(*output);
    if (!counts.ok()) return counts.error();
    known.sink(counts.value()).name("write").uid("write");
  }
  results.filter([](const window_count& w) { return w.key == no_campaign; })
      .name("unknown ads")
      .sink(unknown.value())
      .name("write unknown ads")
      .uid("write unknown ads");
  windows.late_records().sink(late.value()).name("write late").uid("write late");
  return {};
}

}  // namespace

NAGARE_JOB("ysb", build)
