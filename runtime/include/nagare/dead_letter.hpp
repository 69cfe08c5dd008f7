// Dead letters: input records a source could not turn into records (a
// malformed line, a message that is not JSON), set aside with where they came
// from and why, instead of failing the job or vanishing. A parse adapter
// (nagare/parsed_source.hpp) makes them and sends them to its dead-letter
// output: any sink of dead_letter, such as
//   nagare::file_sink<nagare::dead_letter>(dir)
// whose lines read "SPLIT<TAB>POSITION<TAB>REASON<TAB>RECORD".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nagare/codec.hpp"

namespace nagare {

struct dead_letter {
  std::string split;                 // the split it came from, as its source names it
  std::optional<uint64_t> position;  // where in the split, if the source knows (byte offset, ...)
  std::string reason;                // why it was rejected, from the parse function
  std::string record;                // the input record's text (format_record), unchanged

  bool operator==(const dead_letter& o) const {
    return split == o.split && position == o.position && reason == o.reason && record == o.record;
  }
};

// The text of a dead letter in file and stdout sinks: split, position (empty
// when unknown), reason and record, tab-separated, the record last and as it
// was (a record holding a newline spans lines: give such sources a formatter
// of their own).
inline void format_record(const dead_letter& d, std::string& out) {
  out += d.split;
  out += '\t';
  if (d.position) out += std::to_string(*d.position);
  out += '\t';
  out += d.reason;
  out += '\t';
  out += d.record;
}

namespace detail {
// Writes one line on standard error about the dead letters of source
// subtask `task`: their count so far, what became of them (`fate`) and, with
// `letter`, that one (its record cut to 200 bytes, control characters
// escaped). `what` says what dead letters are there. Compiled into
// libnagare; thread-safe (one write per line).
void report_dead_letters(const std::string& task, uint64_t count, const char* fate,
                         const dead_letter* letter,
                         const char* what = "input records the source could not parse");
}  // namespace detail

template <>
struct codec<dead_letter> {
  static void encode(const dead_letter& d, std::string& out) {
    codec<std::string>::encode(d.split, out);
    codec<std::optional<uint64_t>>::encode(d.position, out);
    codec<std::string>::encode(d.reason, out);
    codec<std::string>::encode(d.record, out);
  }
  static bool decode(byte_reader& in, dead_letter& d) {
    return codec<std::string>::decode(in, d.split) &&
           codec<std::optional<uint64_t>>::decode(in, d.position) &&
           codec<std::string>::decode(in, d.reason) && codec<std::string>::decode(in, d.record);
  }
};

}  // namespace nagare
