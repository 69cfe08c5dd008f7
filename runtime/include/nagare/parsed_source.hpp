// A source of typed records parsed from another source's raw records (the
// lines of text files, bytes, messages): a parse function turns each raw
// record into a record or rejects it with a reason, and a rejected one
// becomes a dead letter (nagare/dead_letter.hpp) instead of failing the job
// or vanishing.
//
//   job.source(nagare::parse(nagare::text_file_source(paths), parse_order)
//                  .dead_letters(nagare::file_sink<nagare::dead_letter>(out + "/_dead-letter")))
//       .name("orders").uid("orders") ...
//
// The parse function, f(const Raw&) or f(Raw&), returns
//   std::optional<T>    a record, or std::nullopt: rejected ("rejected by the parse function");
//   nagare::result<T>   a record, or a status whose message is the reason (nagare::malformed).
// It runs in the source's subtask, once per raw record, in order. Taking the
// record by non-const reference it may move from it, but only when it returns
// a record: a dead letter carries the record as f left it.
//
// Dead letters go to the dead-letter output if the source declares one
// (dead_letters(sink), any sink descriptor of dead_letter). The source's
// subtask writes them itself, chained to the reader (no exchange, no task of
// their own), and the sink takes part in the source's checkpoints like any
// sink: with file_sink each dead letter is written exactly once across
// failures. Without one they are counted and dropped, visibly: a line on
// standard error for the 1st, 10th, 100th, ... dead letter of each subtask,
// showing it. Either way the reader's dead_letters() is the subtask's count
// (checkpointed with it), and a subtask that has any says how many on
// standard error when it closes.
//
// Cost: per raw record, one virtual call (the raw collector's) and the parse
// function; nothing is allocated besides what the function allocates. The raw
// source's splits, watermarks and replay positions pass through unchanged.
//
// State: the raw reader's positions() entries, each behind a one-byte tag 'p';
// the dead-letter sink's pending transactions ('d'); and one entry per
// subtask with its count ('c', then the codecs of subtask and parallelism as
// uint32_t and of the count as uint64_t). A restore hands the raw
// reader its entries and the sink every transaction (it commits its share:
// sink<T>::recover), and gives subtask s of q the counts of the earlier
// subtasks p with p % q == s. A snapshot with transactions restores only into
// a source that declares a dead-letter output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/collector.hpp"
#include "nagare/dead_letter.hpp"
#include "nagare/function.hpp"
#include "nagare/owned.hpp"
#include "nagare/sink.hpp"
#include "nagare/source.hpp"
#include "nagare/status.hpp"

namespace nagare {

// The reason of a rejected record, for parse functions that return result<T>:
//   if (comma == std::string::npos) return nagare::malformed("no comma");
inline status malformed(std::string reason) {
  return status(errc::invalid_argument, std::move(reason));
}

namespace detail {

// What a parse function may return; see nagare::parse.
template <class R>
struct parse_outcome : std::false_type {};

template <class T>
struct parse_outcome<std::optional<T>> : std::true_type {
  using record_type = T;
  static bool ok(const std::optional<T>& r) { return r.has_value(); }
  static T& record(std::optional<T>& r) { return *r; }
  static std::string_view reason(const std::optional<T>&) {
    return "rejected by the parse function";
  }
};

template <class T>
struct parse_outcome<result<T>> : std::true_type {
  using record_type = T;
  static bool ok(const result<T>& r) { return r.ok(); }
  static T& record(result<T>& r) { return r.value(); }
  static std::string_view reason(const result<T>& r) { return r.error().message(); }
};

}  // namespace detail

// The descriptor nagare::parse() makes (the contract of nagare/source.hpp).
template <class Source, class Parse>
class parsed_source {
 public:
  using raw_type = typename Source::record_type;
  using outcome_type = std::decay_t<std::invoke_result_t<Parse&, raw_type&>>;
  using outcome = detail::parse_outcome<outcome_type>;
  static_assert(outcome::value,
                "nagare::parse: the parse function must return std::optional<T> or "
                "nagare::result<T>");
  using record_type = typename outcome::record_type;

  parsed_source(Source source, Parse fn) : source_(std::move(source)), parse_(std::move(fn)) {}

  // The same source with its dead letters written to `sink` (a sink
  // descriptor whose record_type is nagare::dead_letter), which is validated
  // with the source, after the raw source.
  template <class Sink>
  parsed_source dead_letters(Sink sink) const {
    static_assert(std::is_same_v<typename Sink::record_type, dead_letter>,
                  "dead_letters(): the sink must take nagare::dead_letter records");
    parsed_source out = *this;
    out.make_sink_ = [sink] { return sink.create(); };
    out.validate_sink_ = [sink] { return sink.validate(); };
    return out;
  }

  std::string name() const { return source_.name(); }
  status validate() const {
    auto st = source_.validate();
    if (!st.ok() || !validate_sink_) return st;
    return validate_sink_();
  }
  owned<source_reader<record_type>> create() const {
    return make_owned<reader>(source_.create(), parse_, make_sink_ ? make_sink_() : nullptr);
  }
  // The raw source's split enumerator (nagare/split.hpp). Call only when
  // Source declares one: a job's source() checks with has_enumerator.
  template <class S = Source>
  auto enumerator(uint32_t parallelism) const
      -> decltype(std::declval<const S&>().enumerator(parallelism)) {
    return source_.enumerator(parallelism);
  }

 private:
  using T = record_type;
  using Raw = raw_type;

  // Polls the raw reader into itself (an input port of raw records) and
  // passes on what the parse function returns. Not thread-safe: the source's
  // task only, in the order of source_reader.
  class reader final : public source_reader<T>, private detail::input_port<Raw> {
   public:
    reader(owned<source_reader<Raw>> raw, Parse fn, owned<sink<dead_letter>> letters)
        : raw_(std::move(raw)), parse_(std::move(fn)), letters_(std::move(letters)) {}

    status open(const subtask_info& info) override {
      info_ = info;
      if (letters_)
        if (auto st = letters_->open(info); !st.ok()) return st;
      return raw_->open(info);
    }

    status restore(const std::vector<std::string>& entries, const subtask_info& info) override {
      std::vector<std::string> positions, pending;
      uint32_t previous_parallelism = 0;
      count_ = 0;
      for (const auto& e : entries) {
        const char tag = e.empty() ? '\0' : e[0];
        if (tag == 'p') {
          positions.push_back(e.substr(1));
        } else if (tag == 'd') {
          pending.push_back(e.substr(1));
        } else if (tag == 'c') {
          uint32_t subtask = 0, parallelism = 0;
          uint64_t count = 0;
          byte_reader in(e.data() + 1, e.size() - 1);
          if (!codec<uint32_t>::decode(in, subtask) || !codec<uint32_t>::decode(in, parallelism) ||
              !codec<uint64_t>::decode(in, count) || in.remaining() != 0 || parallelism == 0)
            return status::io_error("malformed dead-letter count in the snapshot");
          previous_parallelism = parallelism;
          if (info.parallelism > 0 && subtask % info.parallelism == info.subtask) count_ += count;
        } else {
          return status::io_error("malformed parsed source state in the snapshot");
        }
      }
      if (auto st = raw_->restore(positions, info); !st.ok()) return st;
      return recover(pending, previous_parallelism);
    }

    void splits(std::vector<std::string>& out) const override { raw_->splits(out); }
    void add_splits(std::vector<source_split> splits) override {
      raw_->add_splits(std::move(splits));
    }
    void no_more_splits() override { raw_->no_more_splits(); }

    status poll(size_t max_records, collector<T>& out, bool& end) override {
      if (auto st = ensure_recovered(); !st.ok()) return st;
      out_ = &out;
      collector<Raw> raw(static_cast<detail::input_port<Raw>*>(this), out);
      auto st = raw_->poll(max_records, raw, end);
      out_ = nullptr;
      if (!st.ok()) return st;
      return error_;
    }

    void positions(std::vector<std::string>& out) const override {
      std::vector<std::string> raw;
      raw_->positions(raw);
      for (auto& e : raw) out.push_back('p' + e);
      std::vector<std::string> pending;
      if (letters_) letters_->pending(pending);
      for (auto& e : pending) out.push_back('d' + e);
      std::string count(1, 'c');
      codec<uint32_t>::encode(info_.subtask, count);
      codec<uint32_t>::encode(info_.parallelism, count);
      codec<uint64_t>::encode(count_, count);
      out.push_back(std::move(count));
    }

    record_origin origin() const override { return raw_->origin(); }

    status prepare_checkpoint(uint64_t id) override {
      if (!error_.ok()) return error_;
      if (auto st = ensure_recovered(); !st.ok()) return st;
      if (auto st = raw_->prepare_checkpoint(id); !st.ok()) return st;
      return letters_ ? letters_->pre_commit(id) : status{};
    }

    status checkpoint_complete(uint64_t id) override {
      if (auto st = raw_->checkpoint_complete(id); !st.ok()) return st;
      return letters_ ? letters_->commit(id) : status{};
    }

    uint64_t dead_letters() const override { return count_; }

    status close() override {
      if (count_ > 0)
        detail::report_dead_letters(info_.task_name, count_,
                                    letters_
                                        ? "written to the dead-letter output"
                                        : "dropped (the source declares no dead-letter output)",
                                    nullptr);
      status first = letters_ ? letters_->close() : status{};
      auto st = raw_->close();
      return first.ok() ? st : first;
    }

   private:
    void push(Raw& record) override {
      auto parsed = parse_(record);
      if (outcome::ok(parsed))
        out_->emit(std::move(outcome::record(parsed)));
      else
        reject(record, outcome::reason(parsed));
    }

    void reject(const Raw& record, std::string_view reason) {
      ++count_;
      auto where = raw_->origin();
      letter_.split.assign(where.split.data(), where.split.size());
      letter_.position = where.position;
      letter_.reason.assign(reason.data(), reason.size());
      letter_.record.clear();
      format_record(record, letter_.record);
      if (letters_) {
        if (!error_.ok()) return;  // the task fails at the end of this poll
        auto st = letters_->write(letter_);
        if (!st.ok())
          error_ = status(st.code(),
                          "cannot write a dead letter of " + info_.task_name + ": " + st.message());
      } else if (count_ >= next_report_) {
        detail::report_dead_letters(info_.task_name, count_,
                                    "dropped (the source declares no dead-letter output)",
                                    &letter_);
        next_report_ = count_ * 10;
      }
    }

    // The dead-letter sink discards what earlier attempts left unless a
    // restore() told it what to commit (sink<T>::recover, as a sink operator
    // does when the job starts from the beginning).
    status ensure_recovered() { return recovered_ ? status{} : recover({}, 0); }

    status recover(const std::vector<std::string>& pending, uint32_t previous_parallelism) {
      recovered_ = true;
      if (letters_) return letters_->recover(pending, previous_parallelism, info_);
      if (!pending.empty())
        return status::invalid_argument(
            "the snapshot holds dead letters not yet committed, but the source declares no "
            "dead-letter output: declare the one the job had");
      return {};
    }

    owned<source_reader<Raw>> raw_;
    Parse parse_;
    owned<sink<dead_letter>> letters_;  // null: none declared
    subtask_info info_;
    collector<T>* out_ = nullptr;  // during poll()
    dead_letter letter_;           // reused: its buffers keep their capacity
    uint64_t count_ = 0;           // dead letters, restored ones included
    uint64_t next_report_ = 1;     // without a sink: the count at which to show one
    bool recovered_ = false;
    status error_;  // a dead letter could not be written: fails the task
  };

  Source source_;
  Parse parse_;
  function<owned<sink<dead_letter>>()> make_sink_;  // empty: no dead-letter output
  function<status()> validate_sink_;
};

// Parses the raw records of `source` with `parse` (see the top of this file).
template <class Source, class Parse>
parsed_source<Source, Parse> parse(Source source, Parse fn) {
  return parsed_source<Source, Parse>(std::move(source), std::move(fn));
}

}  // namespace nagare
