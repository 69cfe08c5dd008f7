// Fuzz target "json": a message as nagare::json_reader parses it for a JSON
// parse adapter (nagare/json.hpp), its fields read with every accessor, and
// what it reads written back with json_writer. The first byte gives the
// length (0 to 7) of a key that follows; the rest is the document.
//
// Invariants: a refused document is a malformed() status (invalid_argument)
// with one of the documented reasons, leaves nothing to read, and was not
// valid UTF-8 when the reason says so; an accepted one was valid UTF-8. For
// the key (by name and as "/key"), "a" and "": has() is true exactly when
// some accessor does not say "missing"; at most one kind of value reads
// (string, number, boolean); int64, uint64 and number agree; a string read
// writes and reads back the same. The whole input written as a string is a
// document the reader accepts, holding the input itself when it is UTF-8.
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "nagare/json.hpp"

namespace nagare::fuzz {

namespace {

constexpr const char* target = "json";

// UTF-8 as RFC 3629 has it, written independently of json.cpp.
bool utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t j = 1; j < n; ++j) {
      const auto d = static_cast<unsigned char>(s[i + j]);
      if ((d & 0xc0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool missing(const status& st) {
  const auto& m = st.message();
  return m.size() >= 11 && m.compare(m.size() - 11, 11, " is missing") == 0;
}

// A string written as the value of a one-field object, read back.
void round_trip(json_reader& again, std::string_view s, const std::string& what) {
  std::string doc;
  json_writer(doc).begin_object().key("k").string(s).end_object();
  auto st = again.parse(doc);
  NAGARE_FUZZ_CHECK(target, st.ok(), what + ": its JSON text is refused: " + st.message());
  auto back = again.string("k");
  NAGARE_FUZZ_CHECK(target, back.ok() && *back == s, what + ": reads back otherwise");
}

template <class Key>  // std::string_view or json_pointer
void probe(const json_reader& j, json_reader& again, Key key, const std::string& what) {
  auto s = j.string(key);
  auto i = j.int64(key);
  auto u = j.uint64(key);
  auto d = j.number(key);
  auto b = j.boolean(key);
  const status* errors[] = {&s.error(), &i.error(), &u.error(), &d.error(), &b.error()};
  if (!j.has(key)) {
    // Every accessor says the same: missing, or not a pointer.
    for (const status* st : errors)
      NAGARE_FUZZ_CHECK(target, !st->ok() && st->message() == s.error().message(),
                        what + ": accessors disagree on a field has() denies");
    NAGARE_FUZZ_CHECK(
        target,
        missing(s.error()) || s.error().message().find(": not a JSON pointer") != std::string::npos,
        what + ": has() denies a field: " + s.error().message());
    return;
  }
  NAGARE_FUZZ_CHECK(target, int(s.ok()) + int(d.ok()) + int(b.ok()) <= 1,
                    what + ": reads as two kinds of value");
  NAGARE_FUZZ_CHECK(target, !(i.ok() || u.ok()) || d.ok(), what + ": an integer but no number");
  if (i.ok()) NAGARE_FUZZ_CHECK(target, *d == static_cast<double>(*i), what + ": int64 != number");
  if (u.ok()) NAGARE_FUZZ_CHECK(target, *d == static_cast<double>(*u), what + ": uint64 != number");
  if (i.ok() && u.ok())
    NAGARE_FUZZ_CHECK(target, *i >= 0 && static_cast<uint64_t>(*i) == *u,
                      what + ": int64 != uint64");
  for (const status* st : errors)
    NAGARE_FUZZ_CHECK(target,
                      st->ok() || (st->code() == errc::invalid_argument &&
                                   starts_with(st->message(), "field '") && !missing(*st)),
                      what + ": unexpected error: " + st->message());
  if (s.ok()) {
    NAGARE_FUZZ_CHECK(target, utf8(*s), what + ": a string read is not UTF-8");
    round_trip(again, *s, what);  // `again`: the view into `j` stays valid
  }
}

}  // namespace

int fuzz_json(const uint8_t* data, size_t size) {
  input in(data, size);
  const size_t key_size = in.byte() % 8;
  std::string key;
  for (size_t k = 0; k < key_size; ++k) key += static_cast<char>(in.byte());
  const std::string doc = in.rest();

  json_reader j, again;
  auto st = j.parse(doc);
  if (!st.ok()) {
    const auto& m = st.message();
    NAGARE_FUZZ_CHECK(target, st.code() == errc::invalid_argument, "not a malformed() status");
    NAGARE_FUZZ_CHECK(target,
                      starts_with(m, "not JSON: ") || m == "not valid UTF-8" ||
                          starts_with(m, "not a JSON object: the document is "),
                      "unexpected reason: " + m);
    NAGARE_FUZZ_CHECK(target, m != "not valid UTF-8" || !utf8(doc), "valid UTF-8 refused as not");
    NAGARE_FUZZ_CHECK(target, !j.has("a") && !j.string("a").ok(), "a refused document reads");
  } else {
    NAGARE_FUZZ_CHECK(target, utf8(doc), "a document that is not UTF-8 accepted");
    const std::string pointer = "/" + key;
    probe(j, again, std::string_view(key), "key '" + key + "'");
    probe(j, again, json_pointer(pointer), "pointer '" + pointer + "'");
    probe(j, again, std::string_view("a"), "key 'a'");
    probe(j, again, std::string_view(""), "key ''");
  }

  // The input itself, as a string value (and the key as a key): always valid JSON.
  std::string text;
  json_writer(text).begin_object().key("k").string(doc).key(key).boolean(true).end_object();
  st = again.parse(text);
  NAGARE_FUZZ_CHECK(target, st.ok(), "the writer's text is refused: " + st.message());
  auto back = again.string("k");
  NAGARE_FUZZ_CHECK(target, back.ok(), "the writer's string is not found");
  NAGARE_FUZZ_CHECK(target, utf8(*back), "the writer's string is not UTF-8");
  if (utf8(doc)) NAGARE_FUZZ_CHECK(target, *back == doc, "a UTF-8 string reads back otherwise");
  if (utf8(key) && key != "k")
    NAGARE_FUZZ_CHECK(target, again.boolean(key).ok(), "a UTF-8 key reads back otherwise");
  return 0;
}

}  // namespace nagare::fuzz

NAGARE_FUZZ_ENTRY(fuzz_json)
