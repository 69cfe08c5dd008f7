// The Yahoo Streaming Benchmark's data set as pure functions of a seed: the
// campaign, ad, user and page ids, and every field of event i. ysb_generate
// writes them; anything that needs the same ids or events can compute them
// without running it.
//
// Every value is drawn from a SplitMix64 stream of its own, keyed by the seed
// and a stream number: value i of a stream depends on (seed, stream, i) only,
// so the events do not depend on how many files or partitions they go to, on
// the pacing, or on which other options are given; only the event time
// depends on the start time and the event rate (event_params).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ysb {

// SplitMix64's output function.
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// One random stream: at(i) is the i-th output of SplitMix64 started at a
// state derived from (seed, id).
class stream {
 public:
  stream(uint64_t seed, uint64_t id) : key_(mix(seed ^ mix(id + 0x9e3779b97f4a7c15ull))) {}
  uint64_t at(uint64_t i) const { return mix(key_ + (i + 1) * 0x9e3779b97f4a7c15ull); }
  // A uniform integer in [0, n), n > 0 (the modulo bias is below 2^-40 for n < 2^24).
  uint64_t below(uint64_t i, uint64_t n) const { return at(i) % n; }
  // True with probability `fraction` (a double in [0, 1]).
  bool chance(uint64_t i, double fraction) const {
    return static_cast<double>(at(i) >> 11) * 0x1p-53 < fraction;
  }

 private:
  uint64_t key_;
};

// Stream numbers. Append only: changing one changes the data set of every seed.
enum stream_id : uint64_t {
  campaign_hi = 1,
  campaign_lo,
  ad_hi,
  ad_lo,
  user_hi,
  user_lo,
  page_hi,
  page_lo,
  event_user,
  event_page,
  event_ad,
  event_ad_type,
  event_event_type,
  event_skew,
  event_late,
  event_late_by,
  event_unknown,
  event_unknown_hi,
  event_unknown_lo,
};

// A UUID as YSB writes it: 36 lower-case hex digits and dashes, 8-4-4-4-12,
// with the version (4) and variant (10) bits of a random UUID.
using uuid_text = std::array<char, 36>;

inline uuid_text uuid(uint64_t hi, uint64_t lo) {
  hi = (hi & ~0xf000ull) | 0x4000ull;
  lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;
  static constexpr char hex[] = "0123456789abcdef";
  uuid_text out{};
  size_t pos = 0;
  auto put = [&](uint64_t v, int digits) {
    for (int d = digits - 1; d >= 0; --d) out[pos++] = hex[(v >> (4 * d)) & 0xf];
  };
  put(hi >> 32, 8);
  out[pos++] = '-';
  put(hi >> 16, 4);
  out[pos++] = '-';
  put(hi, 4);
  out[pos++] = '-';
  put(lo >> 48, 4);
  out[pos++] = '-';
  put(lo, 12);
  return out;
}

inline std::string_view view(const uuid_text& u) { return {u.data(), u.size()}; }

constexpr uint32_t users = 100;
constexpr uint32_t pages = 100;
constexpr std::array<std::string_view, 5> ad_types = {"banner", "modal", "sponsored-search", "mail",
                                                      "mobile"};
constexpr std::array<std::string_view, 3> event_types = {"view", "click", "purchase"};
constexpr uint8_t view_type = 0;  // event_types[view_type] == "view"

// The id of campaign c, ad a, user u and page p. Ad a belongs to campaign
// a / ads_per_campaign.
inline uuid_text campaign_id(uint64_t seed, uint64_t c) {
  return uuid(stream(seed, campaign_hi).at(c), stream(seed, campaign_lo).at(c));
}
inline uuid_text ad_id(uint64_t seed, uint64_t a) {
  return uuid(stream(seed, ad_hi).at(a), stream(seed, ad_lo).at(a));
}
inline uuid_text user_id(uint64_t seed, uint64_t u) {
  return uuid(stream(seed, user_hi).at(u), stream(seed, user_lo).at(u));
}
inline uuid_text page_id(uint64_t seed, uint64_t p) {
  return uuid(stream(seed, page_hi).at(p), stream(seed, page_lo).at(p));
}

// What the event time and the odd events depend on.
struct event_params {
  uint64_t ads = 1000;          // the size of the ad table (campaigns * ads per campaign)
  int64_t start_ms = 0;         // event time of event 0
  double event_rate = 100000;   // events per second of event time (> 0)
  int64_t skew_ms = 0;          // uniform jitter in [-skew_ms, +skew_ms]
  double late_fraction = 0;     // the fraction of events made late
  int64_t late_ms = 0;          // by a uniform [1, late_ms] ms (>= 1 if late_fraction > 0)
  double unknown_fraction = 0;  // the fraction of events with an ad in no campaign
};

// Event i, before it is written: indexes into the tables, and the time.
struct event {
  uint32_t user = 0;
  uint32_t page = 0;
  uint64_t ad = 0;         // index into the ad table, unless unknown
  bool unknown = false;    // the ad is unknown_ad, in no campaign
  uuid_text unknown_ad{};  // set if unknown
  uint8_t ad_type = 0;     // index into ad_types
  uint8_t event_type = 0;  // index into event_types
  bool late = false;       // time was moved back by a late offset
  int64_t time = 0;        // event_time, epoch ms
};

// Every field of event i as a function of (seed, i) and the params.
// The caller keeps the params in range (ysb_generate checks that times fit).
class event_source {
 public:
  event_source(uint64_t seed, const event_params& params)
      : p_(params),
        user_(seed, event_user),
        page_(seed, event_page),
        ad_(seed, event_ad),
        ad_type_(seed, event_ad_type),
        event_type_(seed, event_event_type),
        skew_(seed, event_skew),
        late_(seed, event_late),
        late_by_(seed, event_late_by),
        unknown_(seed, event_unknown),
        unknown_hi_(seed, event_unknown_hi),
        unknown_lo_(seed, event_unknown_lo) {}

  // The base event time of event i: start + floor(i * 1000 / event_rate).
  int64_t base_time(uint64_t i) const {
    // Exact for integral rates while i * 1000 < 2^53.
    return p_.start_ms + static_cast<int64_t>(static_cast<double>(i) * 1000.0 / p_.event_rate);
  }

  event at(uint64_t i) const {
    event e;
    e.user = static_cast<uint32_t>(user_.below(i, users));
    e.page = static_cast<uint32_t>(page_.below(i, pages));
    e.ad = ad_.below(i, p_.ads);
    e.ad_type = static_cast<uint8_t>(ad_type_.below(i, ad_types.size()));
    e.event_type = static_cast<uint8_t>(event_type_.below(i, event_types.size()));
    e.time = base_time(i);
    if (p_.skew_ms > 0)
      e.time += static_cast<int64_t>(skew_.below(i, 2 * static_cast<uint64_t>(p_.skew_ms) + 1)) -
                p_.skew_ms;
    if (p_.late_fraction > 0 && late_.chance(i, p_.late_fraction)) {
      e.late = true;
      e.time -= 1 + static_cast<int64_t>(late_by_.below(i, static_cast<uint64_t>(p_.late_ms)));
    }
    if (p_.unknown_fraction > 0 && unknown_.chance(i, p_.unknown_fraction)) {
      e.unknown = true;
      e.unknown_ad = uuid(unknown_hi_.at(i), unknown_lo_.at(i));
    }
    return e;
  }

 private:
  event_params p_;
  stream user_, page_, ad_, ad_type_, event_type_, skew_, late_, late_by_, unknown_, unknown_hi_,
      unknown_lo_;
};

}  // namespace ysb
