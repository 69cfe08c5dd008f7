// JSON records: messages decoded into typed records (json_reader, and the
// parse adapter nagare::json for nagare::parse), and records written as JSON
// text for sinks (json_writer). Not part of nagare/nagare.hpp: include it in
// jobs that read or write JSON. The parser, simdjson, is compiled into
// libnagare and stays out of this header.
//
//   struct event { std::string ad_id; int64_t time; };
//   auto events = nagare::parse(nagare::text_file_source(paths),
//       nagare::json([](const nagare::json_reader& j) -> nagare::result<event> {
//         auto ad = j.string("ad_id");
//         if (!ad.ok()) return ad.error();     // "field 'ad_id' is missing", ...
//         auto time = j.int64("time");
//         if (!time.ok()) return time.error();
//         return event{std::string(*ad), *time};
//       }));
//
// A message that is not a JSON object (invalid JSON, invalid UTF-8, another
// value at the top, content after the object) and a record the function
// rejects become dead letters (nagare/dead_letter.hpp) with the reason, the
// raw record's split and position: never a failed job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "nagare/status.hpp"

namespace nagare {

// A field given by JSON pointer (RFC 6901) from the top of the document
// rather than by name in the top-level object:
//   j.string(nagare::json_pointer("/user/id")), j.int64(nagare::json_pointer("/tags/0"))
// The text must live as long as the call ("" is the whole document).
struct json_pointer {
  explicit json_pointer(std::string_view p) : text(p) {}
  std::string_view text;
};

// Parses one JSON document at a time and reads typed fields of it. Meant to
// be reused: one per source subtask, for every record, so that in the steady
// state nothing is allocated (the parser and its copy of the text keep
// their capacity, which is that of the largest document seen so far).
//
// Not thread-safe; a copy is a fresh reader (nothing parsed, no buffers of
// its own until its first parse), so copying one that another thread uses
// is safe: that is how each subtask of a source gets its own (see json()).
//
// Numbers: integers that fit 64 bits are integers (signed when they fit
// int64_t), anything else is a double; an integer beyond 64 bits or a number
// beyond the range of double makes the document malformed. A key that
// appears twice reads as its first value.
class json_reader {
 public:
  json_reader() = default;
  json_reader(const json_reader&) : json_reader() {}
  json_reader& operator=(const json_reader&) = delete;
  json_reader(json_reader&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)) {}
  json_reader& operator=(json_reader&& o) noexcept {
    std::swap(impl_, o.impl_);
    return *this;
  }
  ~json_reader();

  // Parses `text` (copied: it need not outlive the call) and checks all of
  // it: afterwards the accessors read this document. A malformed document
  // gives a status made with nagare::malformed, whose message is one of
  //   "not JSON: empty document"
  //   "not JSON: <what simdjson says>" (content after the object included)
  //   "not JSON: a number is malformed or out of range"
  //   "not valid UTF-8"
  //   "not a JSON object: the document is an array" (a string, a number, ...)
  // and leaves no document to read (the accessors say "no document parsed").
  status parse(std::string_view text);

  // Fields are read by name, a member of the top-level object ("ad_id":
  // exactly that key, escapes undone), or by json_pointer from the top.
  //
  // Whether the field exists (its value may be null).
  bool has(std::string_view name) const;
  bool has(json_pointer pointer) const;
  // The field's value, or why not: "field 'ad_id' is missing",
  // "field 'ad_id' is not a string (it is a number)". Strings are views into
  // the reader, valid until the next parse(); they may hold '\0'.
  result<std::string_view> string(std::string_view name) const;
  result<std::string_view> string(json_pointer pointer) const;
  // An integer that fits ("field 'n' is out of range for int64" otherwise);
  // a number with a fraction or an exponent is a double, not an integer.
  result<int64_t> int64(std::string_view name) const;
  result<int64_t> int64(json_pointer pointer) const;
  result<uint64_t> uint64(std::string_view name) const;
  result<uint64_t> uint64(json_pointer pointer) const;
  // Any number, as a double (integers beyond 2^53 lose precision).
  result<double> number(std::string_view name) const;
  result<double> number(json_pointer pointer) const;
  result<bool> boolean(std::string_view name) const;
  result<bool> boolean(json_pointer pointer) const;

 private:
  struct impl;
  impl* impl_ = nullptr;  // made by the first parse()
};

namespace detail {

// What a json() function may return.
template <class R>
struct json_outcome {
  static_assert(sizeof(R) == 0,
                "nagare::json: the function must return nagare::result<T> or std::optional<T>");
};
template <class T>
struct json_outcome<result<T>> {
  using record_type = T;
  static result<T> take(result<T>&& r) { return std::move(r); }
};
template <class T>
struct json_outcome<std::optional<T>> {
  using record_type = T;
  static result<T> take(std::optional<T>&& r) {
    if (r) return std::move(*r);
    return status(errc::invalid_argument, "rejected by the parse function");
  }
};

}  // namespace detail

// The parse function json() makes: parses each raw record (anything a
// std::string_view can be made of: std::string lines, messages) with its
// own json_reader and, if it is a JSON object, calls f(reader). Returns
// f's record, or a status whose message is the reason of the dead letter:
// the parse error, or what f said (a std::nullopt from f reads "rejected by
// the parse function").
//
// nagare::parse keeps one copy of its parse function per source subtask
// (parsed_source's create() copies it into the subtask's reader), and the
// copy of a json_reader is a fresh one: every subtask parses with a reader
// of its own, on its own thread, and no thread_local is needed.
template <class F>
class json_parse {
 public:
  using outcome = detail::json_outcome<std::decay_t<std::invoke_result_t<F&, const json_reader&>>>;
  using record_type = typename outcome::record_type;

  explicit json_parse(F f) : f_(std::move(f)) {}

  template <class Raw>
  result<record_type> operator()(const Raw& raw) {
    if (auto st = reader_.parse(std::string_view(raw)); !st.ok()) return st;
    return outcome::take(f_(static_cast<const json_reader&>(reader_)));
  }

 private:
  F f_;
  json_reader reader_;
};

// f(const json_reader&) returns nagare::result<T> or std::optional<T>.
template <class F>
json_parse<F> json(F f) {
  return json_parse<F>(std::move(f));
}

// Writes JSON text at the end of a string, for sinks that write JSON lines:
//   std::string line;
//   nagare::json_writer w(line);
//   w.begin_object().key("campaign").string(c).key("count").int64(n).end_object();
//   // {"campaign":"...","count":4}
// Commas and colons are placed for the caller; the caller nests properly
// (REQUIRES: a key() before each value inside an object, none in an array,
// every begin matched by its end). Valid JSON whatever the strings hold:
// quotes, backslashes and control characters are escaped ("\n", "\u0001"),
// and bytes that are not UTF-8 are each replaced by U+FFFD (as the WHATWG
// decoder does, maximal subparts), so the output is always valid UTF-8.
// Cheap to make; appends only; does not own the string.
class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(&out) {}

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);

  json_writer& string(std::string_view s);
  json_writer& int64(int64_t v);
  json_writer& uint64(uint64_t v);
  // Shortest text that reads back as the same double; NaN and infinities,
  // which JSON cannot hold, as null.
  json_writer& number(double v);
  json_writer& boolean(bool v);
  json_writer& null();

 private:
  void separate();  // a comma before a value that follows one

  std::string* out_;
  bool comma_ = false;  // the last thing written was a value or an end
};

// Appends `s` as a JSON string, quotes included (the escaping of json_writer).
void append_json_string(std::string_view s, std::string& out);

}  // namespace nagare
