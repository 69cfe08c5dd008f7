// JSON records (nagare/json.hpp): the reader on valid documents of every
// type and on each kind of malformed one (a typed status with its reason,
// never a crash), the writer's text and its escaping, round trips writer ->
// reader on tricky strings and numbers, and the json() adapter through
// nagare::parse over an in-memory source, where a malformed message becomes
// a dead letter with its split and position.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "nagare/json.hpp"
#include "nagare/parsed_source.hpp"

namespace nagare {
namespace {

using namespace std::string_literals;

// The message of a failed parse ("" if it succeeded), after checking that a
// failure is a malformed() status.
std::string parse_error(json_reader& j, std::string_view text) {
  auto st = j.parse(text);
  if (st.ok()) return "";
  EXPECT_EQ(st.code(), errc::invalid_argument) << st.message();
  return st.message();
}

template <class T>
std::string error_of(const result<T>& r) {
  return r.ok() ? "(ok)" : r.error().message();
}

// Every type of value, by name and by pointer.
TEST(json_reader, reads_each_type) {
  json_reader j;
  ASSERT_EQ(parse_error(j, R"({"s":"x\ty","i":-5,"u":18446744073709551615,"d":1.5,"e":2e3,
                             "t":true,"f":false,"n":null,"o":{"a":[1,"two"]},"":"empty"})"),
            "");
  EXPECT_EQ(*j.string("s"), "x\ty");
  EXPECT_EQ(*j.int64("i"), -5);
  EXPECT_EQ(*j.uint64("u"), UINT64_MAX);
  EXPECT_EQ(*j.number("d"), 1.5);
  EXPECT_EQ(*j.number("e"), 2000.0);
  EXPECT_EQ(*j.number("i"), -5.0);
  EXPECT_EQ(*j.number("u"), 18446744073709551615.0);
  EXPECT_FALSE(j.uint64("o").ok());
  EXPECT_TRUE(*j.boolean("t"));
  EXPECT_FALSE(*j.boolean("f"));
  EXPECT_TRUE(j.has("n"));
  EXPECT_FALSE(j.has("missing"));
  EXPECT_EQ(*j.string(""), "empty");
  EXPECT_EQ(*j.int64(json_pointer("/o/a/0")), 1);
  EXPECT_EQ(*j.string(json_pointer("/o/a/1")), "two");
  EXPECT_TRUE(j.has(json_pointer("/o/a")));
  EXPECT_FALSE(j.has(json_pointer("/o/a/2")));
  EXPECT_EQ(*j.string(std::string("s")), "x\ty");  // keys from std::string too
}

// A non-negative int64 is a uint64 as well; a key is compared unescaped; a
// key given twice reads as its first value.
TEST(json_reader, integers_keys_and_duplicates) {
  json_reader j;
  ASSERT_EQ(parse_error(j, R"({"n":7,"a\"b":1,"\u00e9":2,"d":1,"d":2})"), "");
  EXPECT_EQ(*j.uint64("n"), 7u);
  EXPECT_EQ(*j.int64("a\"b"), 1);
  EXPECT_EQ(*j.int64("\xc3\xa9"), 2);
  EXPECT_EQ(*j.int64("d"), 1);
}

struct malformed_case {
  const char* what;
  std::string text;
  std::string reason;
};

const std::string improper =
    "not JSON: The JSON document has an improper structure: missing or superfluous commas, "
    "braces, missing keys, etc.";
const std::string bad_number = "not JSON: a number is malformed or out of range";

// Each kind of malformed document gives its reason, and leaves no document.
TEST(json_reader, malformed_documents) {
  const malformed_case cases[] = {
      {"empty", "", "not JSON: empty document"},
      {"white space only", " \n\t", "not JSON: empty document"},
      {"truncated", R"({"a":"b)", "not JSON: A string is opened, but never closed."},
      {"truncated after a value", R"({"a":1)", improper},
      {"trailing comma", R"({"a":1,})", improper},
      {"trailing garbage", R"({"a":1} x)", improper},
      {"two documents", "{}{}", improper},
      {"a NUL after the object", "{}\0"s, improper},
      {"invalid UTF-8 in a string", "{\"a\":\"\xff\"}", "not valid UTF-8"},
      {"invalid UTF-8 outside strings", "{\"a\":1}\xc3", "not valid UTF-8"},
      {"an overlong encoding", "{\"a\":\"\xc0\xaf\"}", "not valid UTF-8"},
      {"a lone surrogate escape", R"({"a":"\ud800"})", "not JSON: Problem while parsing a string"},
      {"an array", "[1,2]", "not a JSON object: the document is an array"},
      {"a string", R"("s")", "not a JSON object: the document is a string"},
      {"a number", "42", "not a JSON object: the document is a number"},
      {"null", "null", "not a JSON object: the document is null"},
      {"true", "true", "not a JSON object: the document is a boolean"},
      {"an integer beyond 64 bits", R"({"a":18446744073709551616})", bad_number},
      {"a negative integer beyond 64 bits", R"({"a":-9223372036854775809})", bad_number},
      {"a double beyond range", R"({"a":1e400})", bad_number},
      {"a leading zero", R"({"a":01})", bad_number},
      {"a bad atom", R"({"a":tru})",
       "not JSON: Problem while parsing an atom starting with the letter 't'"},
      {"single quotes", "{'a':1}", improper},
      {"a byte order mark", "\xef\xbb\xbf{}", improper},
      {"nested too deep", "{\"a\":" + std::string(2000, '[') + std::string(2000, ']') + "}",
       "not JSON: The JSON document was too deep (too many nested objects and arrays)"},
  };
  // An empty first document (the fuzz target found a memset on a null buffer).
  json_reader fresh;
  EXPECT_EQ(parse_error(fresh, ""), "not JSON: empty document");
  json_reader j;
  for (const auto& c : cases) {
    ASSERT_EQ(parse_error(j, "{\"ok\":1}"), "");
    EXPECT_EQ(parse_error(j, c.text), c.reason) << c.what;
    EXPECT_FALSE(j.has("ok")) << c.what;
    EXPECT_EQ(error_of(j.int64("ok")), "no document parsed") << c.what;
  }
}

// Fields that are missing or of another type say which and why.
TEST(json_reader, field_errors_name_the_field) {
  json_reader j;
  EXPECT_EQ(error_of(j.string("ad_id")), "no document parsed");  // before any parse
  ASSERT_EQ(parse_error(j, R"({"s":"x","i":-1,"big":9223372036854775808,"d":1.5,"b":true,
                             "n":null,"a":[],"o":{}})"),
            "");
  EXPECT_EQ(error_of(j.string("ad_id")), "field 'ad_id' is missing");
  EXPECT_EQ(error_of(j.string("i")), "field 'i' is not a string (it is a number)");
  EXPECT_EQ(error_of(j.string("n")), "field 'n' is not a string (it is null)");
  EXPECT_EQ(error_of(j.int64("s")), "field 's' is not an integer (it is a string)");
  EXPECT_EQ(error_of(j.int64("big")), "field 'big' is out of range for int64");
  EXPECT_EQ(error_of(j.int64("d")),
            "field 'd' is not an integer (it has a fraction or an exponent)");
  EXPECT_EQ(error_of(j.uint64("i")), "field 'i' is out of range for uint64");
  EXPECT_EQ(*j.uint64("big"), 9223372036854775808u);
  EXPECT_EQ(error_of(j.uint64("a")), "field 'a' is not an integer (it is an array)");
  EXPECT_EQ(error_of(j.number("b")), "field 'b' is not a number (it is a boolean)");
  EXPECT_EQ(error_of(j.boolean("o")), "field 'o' is not a boolean (it is an object)");
  EXPECT_EQ(error_of(j.boolean("missing")), "field 'missing' is missing");
  EXPECT_EQ(error_of(j.string(json_pointer("/o/x"))), "field '/o/x' is missing");
  EXPECT_EQ(error_of(j.string(json_pointer("/s/0"))), "field '/s/0' is missing");
  EXPECT_EQ(error_of(j.string(json_pointer("/a/0"))), "field '/a/0' is missing");
  EXPECT_EQ(error_of(j.string(json_pointer("s"))),
            "field 's': not a JSON pointer (\"/a/0\", or \"\" for the document)");
  EXPECT_EQ(error_of(j.string(json_pointer("/a~2"))),
            "field '/a~2': not a JSON pointer (\"/a/0\", or \"\" for the document)");
  EXPECT_EQ(error_of(j.string(json_pointer("/a/01"))), "field '/a/01' is missing");
  EXPECT_FALSE(j.has(json_pointer("s")));
  EXPECT_EQ(j.string("i").error().code(), errc::invalid_argument);
}

// Reused for documents of any size; a view stays valid until the next parse.
TEST(json_reader, reused_across_documents) {
  json_reader j;
  const std::string big(100000, 'x');
  ASSERT_EQ(parse_error(j, R"({"a":"first"})"), "");
  auto first = *j.string("a");
  EXPECT_EQ(first, "first");
  ASSERT_EQ(parse_error(j, "{\"a\":\"" + big + "\"}"), "");
  EXPECT_EQ(*j.string("a"), big);
  ASSERT_EQ(parse_error(j, R"({"b":2})"), "");
  EXPECT_FALSE(j.has("a"));
  EXPECT_EQ(*j.int64("b"), 2);
  // The text is copied: the reader does not need it after parse().
  std::string text = R"({"c":"kept"})";
  ASSERT_EQ(parse_error(j, text), "");
  text.assign(text.size(), ' ');
  EXPECT_EQ(*j.string("c"), "kept");
}

// A copy is a fresh reader; a move takes the document along.
TEST(json_reader, copies_are_fresh) {
  json_reader j;
  ASSERT_EQ(parse_error(j, R"({"a":1})"), "");
  json_reader copy(j);
  EXPECT_FALSE(copy.has("a"));
  EXPECT_EQ(*j.int64("a"), 1);
  json_reader moved(std::move(j));
  EXPECT_EQ(*moved.int64("a"), 1);
  ASSERT_EQ(parse_error(copy, R"({"b":2})"), "");
  EXPECT_EQ(*copy.int64("b"), 2);
  EXPECT_EQ(*moved.int64("a"), 1);
}

std::string written(void (*f)(json_writer&)) {
  std::string out;
  json_writer w(out);
  f(w);
  return out;
}

// Commas and colons where they belong, at every depth; values of each type.
TEST(json_writer, writes_objects_and_arrays) {
  EXPECT_EQ(written([](json_writer& w) {
              w.begin_object().key("campaign").string("c1").key("window_start").int64(123);
              w.key("count").uint64(4).end_object();
            }),
            R"({"campaign":"c1","window_start":123,"count":4})");
  EXPECT_EQ(written([](json_writer& w) {
              w.begin_array().begin_object().end_object().begin_array().end_array();
              w.int64(-1).boolean(true).boolean(false).null().number(0.5);
              w.begin_object().key("a").begin_array().int64(1).int64(2).end_array();
              w.key("b").begin_object().key("c").null().end_object().end_object().end_array();
            }),
            R"([{},[],-1,true,false,null,0.5,{"a":[1,2],"b":{"c":null}}])");
  EXPECT_EQ(written([](json_writer& w) { w.begin_object().end_object(); }), "{}");
  // Appends: what the string held stays.
  std::string out = "x";
  json_writer(out).int64(1);
  EXPECT_EQ(out, "x1");
}

TEST(json_writer, numbers) {
  EXPECT_EQ(written([](json_writer& w) {
              w.begin_array().int64(INT64_MIN).int64(INT64_MAX).uint64(UINT64_MAX).end_array();
            }),
            "[-9223372036854775808,9223372036854775807,18446744073709551615]");
  EXPECT_EQ(written([](json_writer& w) {
              w.begin_array().number(0.1).number(-0.0).number(1e300).number(3.0).number(1e-7);
              w.end_array();
            }),
            "[0.1,-0,1e+300,3,1e-07]");
  // JSON has no NaN or infinities.
  EXPECT_EQ(written([](json_writer& w) {
              w.begin_array().number(std::nan("")).number(HUGE_VAL).number(-HUGE_VAL).end_array();
            }),
            "[null,null,null]");
}

std::string as_json(std::string_view s) {
  std::string out;
  append_json_string(s, out);
  return out;
}

// Quotes, backslashes and control characters are escaped; other bytes of
// valid UTF-8 pass unchanged; each maximal invalid subpart is one U+FFFD.
TEST(json_writer, escapes_strings) {
  EXPECT_EQ(as_json("plain"), R"("plain")");
  EXPECT_EQ(as_json("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(as_json("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(as_json("\x01\x1f\x7f"s), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(as_json("a\0b"s), R"("a\u0000b")");
  EXPECT_EQ(as_json("\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80"),
            "\"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\"");
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(as_json("\xff"), "\"" + fffd + "\"");
  EXPECT_EQ(as_json("a\xe2\x82"), "\"a" + fffd + "\"");  // truncated: one
  EXPECT_EQ(as_json("\xe2\x82z"), "\"" + fffd + "z\"");
  EXPECT_EQ(as_json("\xf0\x9f\x98"), "\"" + fffd + "\"");                // truncated 4-byte
  EXPECT_EQ(as_json("\xc0\xaf"), "\"" + fffd + fffd + "\"");             // overlong: two
  EXPECT_EQ(as_json("\xed\xa0\x80"), "\"" + fffd + fffd + fffd + "\"");  // a surrogate
  EXPECT_EQ(as_json("\xf4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(as_json("\x80x"), "\"" + fffd + "x\"");
}

// What the writer writes, the reader reads back the same.
TEST(json_writer, round_trips_through_the_reader) {
  std::string all_controls;
  for (int c = 0; c < 0x20; ++c) all_controls += static_cast<char>(c);
  const std::string tricky[] = {
      "",
      "quote \" backslash \\ slash /",
      all_controls,
      "embedded\0NUL"s,
      "\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
      "\\u0041 is not unescaped",
      std::string(5000, '"'),
  };
  json_reader j;
  for (const auto& s : tricky) {
    std::string doc;
    json_writer(doc).begin_object().key(s).string(s).end_object();
    ASSERT_EQ(parse_error(j, doc), "") << doc;
    EXPECT_EQ(*j.string(s), s);
  }
  // Invalid UTF-8 still makes a document the reader accepts.
  std::string doc;
  json_writer(doc).begin_object().key("k").string("a\xff\xc0\xed\xa0\x80z").end_object();
  ASSERT_EQ(parse_error(j, doc), "");
  EXPECT_EQ(*j.string("k"), "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");

  const double doubles[] = {0.1,
                            1.0 / 3,
                            -2.5e-300,
                            std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::denorm_min(),
                            123456789.125};
  for (double d : doubles) {
    std::string text;
    json_writer(text).begin_object().key("d").number(d).end_object();
    ASSERT_EQ(parse_error(j, text), "") << text;
    EXPECT_EQ(*j.number("d"), d) << text;
  }
  std::string ints;
  json_writer(ints).begin_object().key("min").int64(INT64_MIN).key("max").uint64(UINT64_MAX);
  ints += '}';
  ASSERT_EQ(parse_error(j, ints), "");
  EXPECT_EQ(*j.int64("min"), INT64_MIN);
  EXPECT_EQ(*j.uint64("max"), UINT64_MAX);
}

struct event {
  std::string ad_id;
  int64_t time = 0;
  bool operator==(const event& o) const { return ad_id == o.ad_id && time == o.time; }
};

result<event> to_event(const json_reader& j) {
  auto ad = j.string("ad_id");
  if (!ad.ok()) return ad.error();
  auto time = j.int64("time");
  if (!time.ok()) return time.error();
  return event{std::string(*ad), *time};
}

// The adapter on its own: the parse error or the function's, and
// std::optional functions.
TEST(json_parse, adapter) {
  auto f = json(to_event);
  EXPECT_EQ(f(R"({"ad_id":"a","time":5})"s).value(), (event{"a", 5}));
  EXPECT_EQ(f("{"s).error().message(),
            "not JSON: The JSON document has an improper structure: missing or superfluous commas, "
            "braces, missing keys, etc.");
  EXPECT_EQ(f(R"({"time":5})"s).error().message(), "field 'ad_id' is missing");
  auto g = json([](const json_reader& j) -> std::optional<int64_t> {
    if (!j.has("n")) return std::nullopt;
    return *j.int64("n");
  });
  EXPECT_EQ(*g(R"({"n":3})"s), 3);
  EXPECT_EQ(g(R"({})"s).error().message(), "rejected by the parse function");
  EXPECT_EQ(g("[]"s).error().message(), "not a JSON object: the document is an array");
}

// An in-memory source: one split "mem", each message's position its index.
class messages {
 public:
  using record_type = std::string;
  explicit messages(std::vector<std::string> m) : messages_(std::move(m)) {}
  std::string name() const { return "messages"; }
  status validate() const { return {}; }
  owned<source_reader<std::string>> create() const { return make_owned<reader>(messages_); }

 private:
  class reader final : public source_reader<std::string> {
   public:
    explicit reader(std::vector<std::string> m) : messages_(std::move(m)) {}
    status open(const subtask_info&) override { return {}; }
    status poll(size_t max_records, collector<std::string>& out, bool& end) override {
      for (size_t n = 0; n < max_records && next_ < messages_.size(); ++n, ++next_)
        out.emit(messages_[next_]);
      end = next_ == messages_.size();
      return {};
    }
    record_origin origin() const override { return {"mem", next_}; }

   private:
    std::vector<std::string> messages_;
    uint64_t next_ = 0;
  };
  std::vector<std::string> messages_;
};

class events final : public detail::input_port<event> {
 public:
  void push(event& e) override { got.push_back(e); }
  std::vector<event> got;
};

class letters final : public sink<dead_letter> {
 public:
  explicit letters(std::vector<dead_letter>* out) : out_(out) {}
  status open(const subtask_info&) override { return {}; }
  status write(const dead_letter& d) override {
    out_->push_back(d);
    return {};
  }
  status close() override { return {}; }
  status recover(const std::vector<std::string>&, uint32_t, const subtask_info&) override {
    return {};
  }

 private:
  std::vector<dead_letter>* out_;
};

struct letter_sink {
  using record_type = dead_letter;
  std::vector<dead_letter>* out;
  std::string name() const { return "dead letters"; }
  status validate() const { return {}; }
  owned<sink<dead_letter>> create() const { return make_owned<letters>(out); }
};

// Through nagare::parse: good messages become records in order, a malformed
// one or one the function rejects a dead letter with its split, position,
// reason and text; two subtasks' readers parse independently.
TEST(json_parse, malformed_messages_become_dead_letters) {
  const std::vector<std::string> input = {
      R"({"ad_id":"a","time":1})", R"({"ad_id":"b","time":)",     "{\"ad_id\":\"\xff\",\"time\":3}",
      R"({"ad_id":"c","time":4})", R"({"ad_id":"d","time":"5"})", R"(["e",6])",
      R"({"ad_id":"f","time":7})",
  };
  std::vector<dead_letter> dead;
  const auto source = parse(messages(input), json(to_event)).dead_letters(letter_sink{&dead});
  for (int subtask = 0; subtask < 2; ++subtask) {
    dead.clear();
    auto reader = source.create();
    ASSERT_TRUE(reader->open({}).ok());
    events got;
    collector<event> out(&got);
    bool end = false;
    while (!end) ASSERT_TRUE(reader->poll(3, out, end).ok());
    EXPECT_EQ(got.got, (std::vector<event>{{"a", 1}, {"c", 4}, {"f", 7}}));
    ASSERT_EQ(dead.size(), 4u);
    EXPECT_EQ(dead[0], (dead_letter{"mem", 1, improper, input[1]}));
    EXPECT_EQ(dead[1], (dead_letter{"mem", 2, "not valid UTF-8", input[2]}));
    EXPECT_EQ(dead[2],
              (dead_letter{"mem", 4, "field 'time' is not an integer (it is a string)", input[4]}));
    EXPECT_EQ(dead[3],
              (dead_letter{"mem", 5, "not a JSON object: the document is an array", input[5]}));
    EXPECT_EQ(reader->dead_letters(), 4u);
    EXPECT_TRUE(reader->close().ok());
  }
}

}  // namespace
}  // namespace nagare
