// JSON records (nagare/json.hpp): the reader on simdjson's DOM API, the
// writer by hand.
//
// DOM rather than On Demand. tests/bench/json_bench.cpp on the YSB event (7
// string fields, 246 bytes, read in another order than they appear), -O2,
// one core of the shared project machine (load 1.5), 200,000 records, best
// of 9 runs, three rounds:
//   DOM                                     1930-1970 MB/s, 7.9-8.0 M records/s
//   On Demand, checking only what it reads  2620-2670 MB/s, 10.6-10.8 M records/s
//   On Demand, checking the whole document  1660-1700 MB/s, 6.7-6.9 M records/s
//   json_reader (DOM, through this file)    1220-1340 MB/s, 4.9-5.4 M records/s
// (json_reader's extra cost is the calls into libnagare and result<T>.)
// On Demand wins only by not validating what it does not read, but parse()
// promises a malformed message is refused whatever the function reads (so
// that it becomes a dead letter); validating all of it costs as much as DOM.
// DOM also reads fields in any order, repeatedly, or by pointer, at the cost
// of a scan of the object's tape, and runs the kernel libsimdjson picks at
// run time (On Demand runs the one the header is compiled for: without
// -march, the fallback).
#include "nagare/json.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <limits>
#include <memory>

#include "nagare/parsed_source.hpp"

namespace nagare {

namespace {

namespace dom = simdjson::dom;

// Documents up to this size never make the parser grow (a YSB event is ~250 bytes).
constexpr size_t initial_capacity = 4096;

size_t grown(size_t needed, size_t capacity) {
  size_t c = capacity < initial_capacity ? initial_capacity : capacity;
  while (c < needed) c = c > std::numeric_limits<size_t>::max() / 2 ? needed : c * 2;
  return c;
}

const char* type_name(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

status parse_error(simdjson::error_code e) {
  switch (e) {
    case simdjson::EMPTY:
      return malformed("not JSON: empty document");
    case simdjson::UTF8_ERROR:
      return malformed("not valid UTF-8");
    case simdjson::NUMBER_ERROR:
      return malformed("not JSON: a number is malformed or out of range");
    default:
      return malformed(std::string("not JSON: ") + simdjson::error_message(e));
  }
}

// A field asked for: a name in the top-level object or a JSON pointer.
struct key_ref {
  std::string_view text;
  bool pointer;
};

std::string field(const key_ref& key) {
  std::string s = "field '";
  s.append(key.text.data(), key.text.size());
  return s += '\'';
}

// RFC 6901: "" or "/" tokens, where '~' is followed by '0' or '1'.
bool pointer_syntax(std::string_view p) {
  if (!p.empty() && p[0] != '/') return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
  return true;
}

status not_a(const key_ref& key, const char* what, dom::element_type t) {
  return malformed(field(key) + " is not " + what + " (it is " + type_name(t) + ")");
}

}  // namespace

struct json_reader::impl {
  dom::parser parser;                // capacity set by the first parse
  std::unique_ptr<char[]> text;      // the document, copied, and padding
  size_t text_capacity = 0;          // without the padding
  std::optional<dom::element> root;  // the parsed document
  dom::object object;                // root as an object

  enum class found { yes, missing, bad_pointer, no_document };

  found find(const key_ref& key, dom::element& out) const {
    if (!root) return found::no_document;
    if (!key.pointer)
      return object.at_key(key.text).get(out) == simdjson::SUCCESS ? found::yes : found::missing;
    auto e = root->at_pointer(key.text).get(out);
    if (e == simdjson::SUCCESS) return found::yes;
    // simdjson also says INVALID_JSON_POINTER for a pointer into a string or
    // a number and for an array index such as "01": those are missing.
    return e == simdjson::INVALID_JSON_POINTER && !pointer_syntax(key.text) ? found::bad_pointer
                                                                            : found::missing;
  }

  // Why `key` is not found in the document of `d` (null: none yet).
  static status why_not(const impl* d, const key_ref& key) {
    dom::element e;
    switch (d ? d->find(key, e) : found::no_document) {
      case found::yes:
      case found::missing:
        break;
      case found::bad_pointer:
        return malformed(field(key) + ": not a JSON pointer (\"/a/0\", or \"\" for the document)");
      case found::no_document:
        return malformed("no document parsed");
    }
    return malformed(field(key) + " is missing");
  }

  static bool has(const impl* d, const key_ref& key) {
    dom::element e;
    return d && d->find(key, e) == found::yes;
  }

  static result<std::string_view> string(const impl* d, const key_ref& key) {
    dom::element e;
    if (!d || d->find(key, e) != found::yes) return why_not(d, key);
    if (!e.is_string()) return not_a(key, "a string", e.type());
    return e.get_string().value_unsafe();
  }

  static result<int64_t> int64(const impl* d, const key_ref& key) {
    dom::element e;
    if (!d || d->find(key, e) != found::yes) return why_not(d, key);
    switch (e.type()) {
      case dom::element_type::INT64:
        return e.get_int64().value_unsafe();
      case dom::element_type::UINT64:
        return malformed(field(key) + " is out of range for int64");
      case dom::element_type::DOUBLE:
        return malformed(field(key) + " is not an integer (it has a fraction or an exponent)");
      default:
        return not_a(key, "an integer", e.type());
    }
  }

  static result<uint64_t> uint64(const impl* d, const key_ref& key) {
    dom::element e;
    if (!d || d->find(key, e) != found::yes) return why_not(d, key);
    switch (e.type()) {
      case dom::element_type::UINT64:
        return e.get_uint64().value_unsafe();
      case dom::element_type::INT64: {
        auto v = e.get_int64().value_unsafe();
        if (v < 0) return malformed(field(key) + " is out of range for uint64");
        return static_cast<uint64_t>(v);
      }
      case dom::element_type::DOUBLE:
        return malformed(field(key) + " is not an integer (it has a fraction or an exponent)");
      default:
        return not_a(key, "an integer", e.type());
    }
  }

  static result<double> number(const impl* d, const key_ref& key) {
    dom::element e;
    if (!d || d->find(key, e) != found::yes) return why_not(d, key);
    switch (e.type()) {
      case dom::element_type::INT64:
        return static_cast<double>(e.get_int64().value_unsafe());
      case dom::element_type::UINT64:
        return static_cast<double>(e.get_uint64().value_unsafe());
      case dom::element_type::DOUBLE:
        return e.get_double().value_unsafe();
      default:
        return not_a(key, "a number", e.type());
    }
  }

  static result<bool> boolean(const impl* d, const key_ref& key) {
    dom::element e;
    if (!d || d->find(key, e) != found::yes) return why_not(d, key);
    if (!e.is_bool()) return not_a(key, "a boolean", e.type());
    return e.get_bool().value_unsafe();
  }
};

json_reader::~json_reader() { delete impl_; }

status json_reader::parse(std::string_view text) {
  if (!impl_) impl_ = new impl;
  auto& d = *impl_;
  d.root.reset();
  if (!d.text || text.size() > d.text_capacity) {
    d.text_capacity = grown(text.size(), d.text_capacity);
    d.text.reset(new char[d.text_capacity + simdjson::SIMDJSON_PADDING]);
  }
  if (!text.empty()) std::memcpy(d.text.get(), text.data(), text.size());
  std::memset(d.text.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  if (text.size() > d.parser.capacity()) {
    if (auto e = d.parser.allocate(grown(text.size(), d.parser.capacity())); e)
      return malformed(std::string("not JSON: ") + simdjson::error_message(e));
  }
  dom::element root;
  if (auto e = d.parser.parse(d.text.get(), text.size(), false).get(root); e) return parse_error(e);
  if (root.type() != dom::element_type::OBJECT)
    return malformed(std::string("not a JSON object: the document is ") + type_name(root.type()));
  if (root.get_object().get(d.object)) return malformed("not a JSON object");
  d.root = root;
  return {};
}

bool json_reader::has(std::string_view name) const { return impl::has(impl_, {name, false}); }
bool json_reader::has(json_pointer p) const { return impl::has(impl_, {p.text, true}); }
result<std::string_view> json_reader::string(std::string_view name) const {
  return impl::string(impl_, {name, false});
}
result<std::string_view> json_reader::string(json_pointer p) const {
  return impl::string(impl_, {p.text, true});
}
result<int64_t> json_reader::int64(std::string_view name) const {
  return impl::int64(impl_, {name, false});
}
result<int64_t> json_reader::int64(json_pointer p) const {
  return impl::int64(impl_, {p.text, true});
}
result<uint64_t> json_reader::uint64(std::string_view name) const {
  return impl::uint64(impl_, {name, false});
}
result<uint64_t> json_reader::uint64(json_pointer p) const {
  return impl::uint64(impl_, {p.text, true});
}
result<double> json_reader::number(std::string_view name) const {
  return impl::number(impl_, {name, false});
}
result<double> json_reader::number(json_pointer p) const {
  return impl::number(impl_, {p.text, true});
}
result<bool> json_reader::boolean(std::string_view name) const {
  return impl::boolean(impl_, {name, false});
}
result<bool> json_reader::boolean(json_pointer p) const {
  return impl::boolean(impl_, {p.text, true});
}

// The writer.

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

// The length of the well-formed UTF-8 sequence at s[i] (s[i] >= 0x80), or 0
// with `bad` set to the length of its maximal subpart (what one U+FFFD
// replaces, as in the WHATWG decoder): at least 1.
size_t utf8_sequence(std::string_view s, size_t i, size_t& bad) {
  const auto byte = [&](size_t j) { return static_cast<unsigned char>(s[j]); };
  const unsigned char c = byte(i);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;  // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;  // at most U+10FFFF
  } else {
    bad = 1;
    return 0;
  }
  for (size_t j = 1; j < n; ++j) {
    const bool ok = i + j < s.size() && byte(i + j) >= (j == 1 ? lo : 0x80) &&
                    byte(i + j) <= (j == 1 ? hi : 0xbf);
    if (!ok) {
      bad = j;
      return 0;
    }
  }
  return n;
}

}  // namespace

void append_json_string(std::string_view s, std::string& out) {
  out += '"';
  size_t run = 0;  // start of the bytes not yet appended that need no escape
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t bad = 0;
      if (size_t n = utf8_sequence(s, i, bad)) {
        i += n;
        continue;
      }
      out.append(s.data() + run, i - run);
      out += "\xef\xbf\xbd";  // U+FFFD
      i += bad;
      run = i;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default: {
        const char u[] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 0xf]};
        out.append(u, sizeof u);
      }
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void json_writer::separate() {
  if (comma_) *out_ += ',';
}

json_writer& json_writer::begin_object() {
  separate();
  *out_ += '{';
  comma_ = false;
  return *this;
}

json_writer& json_writer::end_object() {
  *out_ += '}';
  comma_ = true;
  return *this;
}

json_writer& json_writer::begin_array() {
  separate();
  *out_ += '[';
  comma_ = false;
  return *this;
}

json_writer& json_writer::end_array() {
  *out_ += ']';
  comma_ = true;
  return *this;
}

json_writer& json_writer::key(std::string_view k) {
  separate();
  append_json_string(k, *out_);
  *out_ += ':';
  comma_ = false;
  return *this;
}

json_writer& json_writer::string(std::string_view s) {
  separate();
  append_json_string(s, *out_);
  comma_ = true;
  return *this;
}

namespace {
template <class T>
void append_number(T v, std::string& out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
}  // namespace

json_writer& json_writer::int64(int64_t v) {
  separate();
  append_number(v, *out_);
  comma_ = true;
  return *this;
}

json_writer& json_writer::uint64(uint64_t v) {
  separate();
  append_number(v, *out_);
  comma_ = true;
  return *this;
}

json_writer& json_writer::number(double v) {
  separate();
  if (v != v || v == std::numeric_limits<double>::infinity() ||
      v == -std::numeric_limits<double>::infinity())
    *out_ += "null";
  else
    append_number(v, *out_);
  comma_ = true;
  return *this;
}

json_writer& json_writer::boolean(bool v) {
  separate();
  *out_ += v ? "true" : "false";
  comma_ = true;
  return *this;
}

json_writer& json_writer::null() {
  separate();
  *out_ += "null";
  comma_ = true;
  return *this;
}

}  // namespace nagare
