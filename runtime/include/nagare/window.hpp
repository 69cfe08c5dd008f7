// Windows on keyed streams: a keyed stream's records grouped per key into
// time, session or count windows (nagare/window_assigner.hpp), each window
// aggregated incrementally or handed whole to a function when it fires.
//
//   auto w = stream.key_by(key_fn)
//       .window(nagare::sliding_event_time_windows(10'000, 2'000))
//       .allowed_lateness(5'000)                 // optional, event time only
//       .aggregate(nagare::count());             // or .reduce(f), or .process<Out>(f)
//   w.results()        // data_stream<window_result<K, R>>: one per firing
//   w.late_records()   // data_stream<T>: records too late for every window
//
// Contents:
//  - aggregate(agg): an aggregator (nagare/aggregate.hpp) per window; R is
//    agg.result()'s type. Session windows need agg.merge().
//  - reduce(f): f(const T&, const T&) -> T folds a window's records; R = T.
//  - process<Out>(f): the window keeps its records and a firing calls
//      f(const K&, const nagare::time_window&, const std::vector<T>&, nagare::collector<Out>&)
//    R = Out, one result per record f emits.
//
// When windows fire (event time, W the operator's watermark, L the allowed
// lateness, max = end - 1): a window fires when W >= max and is dropped when
// W >= max + L. A record goes to its windows that are not dropped yet; one
// that goes to no window is late (late_records()), and so is one that falls
// between windows (a slide larger than the size) or one with a window that
// cannot be represented (starting before min_timestamp or ending after
// max_timestamp). The job's closing line counts the late records. A record added to a window
// that fired already (max <= W < max + L) fires it again at once with its
// whole contents. At end of input every pending window fires. Processing-time
// windows fire when the operator's processing time passes max, and when the
// input ends. Count windows fire with their n-th record only.
//
// Event-time windows need the stream's timestamps (a source with a watermark
// strategy, or data_stream::with_timestamps); count windows use them for the
// windows' bounds if the stream has them (min_timestamp otherwise).
// Window contents and timers are keyed state: checkpointed, restored and
// rescaled with their keys; K, T and the accumulator need codecs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "nagare/aggregate.hpp"
#include "nagare/detail/count_window_operator.hpp"
#include "nagare/detail/pane_window_operator.hpp"
#include "nagare/detail/window_contents.hpp"
#include "nagare/detail/window_operator.hpp"
#include "nagare/detail/window_output.hpp"
#include "nagare/job.hpp"
#include "nagare/owned.hpp"
#include "nagare/time.hpp"
#include "nagare/window_assigner.hpp"
#include "nagare/window_result.hpp"

namespace nagare {

// The text of a window result in file and stdout sinks: key, start, end and
// value, tab-separated.
template <class K, class R>
void format_record(const window_result<K, R>& r, std::string& out) {
  format_record(r.key, out);
  out += '\t';
  format_record(r.start, out);
  out += '\t';
  format_record(r.end, out);
  out += '\t';
  format_record(r.value, out);
}

// A window operator: its results and its late records, and (as for every
// operator) its name, uid and parallelism. results() and late_records() each
// add a node that runs with the window operator's parallelism as set when
// they are called: set it first.
template <class T, class K, class R>
class window_handle : public operator_handle<window_handle<T, K, R>> {
  using base = operator_handle<window_handle<T, K, R>>;
  using output = detail::window_output<K, R, T>;

 public:
  window_handle(detail::graph* g, uint32_t id, timestamps_of<T> timestamps)
      : base(g, id), timestamps_(std::move(timestamps)) {}

  // One window_result per firing (per record a process function emits).
  data_stream<window_result<K, R>> results() {
    return data_stream<window_result<K, R>>(
        this->g_, part<output::result_index, window_result<K, R>>("window_results", "results"));
  }
  // The records that went to no window, unchanged; they keep the stream's
  // timestamps.
  data_stream<T> late_records() {
    return data_stream<T>(this->g_, part<output::late_index, T>("late_records", "late records"),
                          timestamps_);
  }

 private:
  template <size_t I, class P>
  uint32_t part(const char* kind, const char* what) {
    auto name = this->node().name + " " + what;
    auto parallelism = this->node().parallelism;
    data_stream<output> from(this->g_, this->id_);
    auto edge = from.forward_edge();
    edge.make_writer = [forward = std::move(edge.make_writer)](const detail::writer_config& c) {
      return owned<detail::exchange_writer>(
          make_owned<detail::window_part_writer<K, R, T, I>>(forward(c)));
    };
    auto& n = from.add_node(kind, std::move(name), std::move(edge));
    n.parallelism = parallelism;
    n.make_operator = [] { return make_owned<detail::window_part_operator<K, R, T, I>>(); };
    n.make_tee = [] { return make_owned<detail::tee_operator<P>>(); };
    return n.id;
  }
  timestamps_of<T> timestamps_;
};

// A keyed stream with a window assigner, before its contents are chosen.
template <class T, class KeyFn, class Assigner>
class windowed_stream {
  using K = detail::key_of_t<KeyFn, T>;
  static constexpr bool sessions = std::is_same_v<Assigner, session_window_assigner>;
  static constexpr bool counts = std::is_same_v<Assigner, count_window_assigner>;
  static_assert(sessions || counts || std::is_same_v<Assigner, sliding_window_assigner>,
                "window(): not a window assigner (see nagare/window_assigner.hpp)");

 public:
  windowed_stream(keyed_stream<T, KeyFn> input, Assigner assigner)
      : input_(std::move(input)), assigner_(std::move(assigner)) {}

  // How long after a window fired records may still come and fire it again
  // (event time; default 0).
  windowed_stream& allowed_lateness(int64_t ms) {
    lateness_ = ms;
    return *this;
  }

  template <class Agg>
  window_handle<T, K, detail::window_aggregate_result_t<Agg>> aggregate(Agg agg) {
    static_assert(!sessions || detail::has_merge<Agg>::value,
                  "session windows merge: the aggregator needs merge(accumulator&, const "
                  "accumulator&)");
    return make(detail::aggregate_contents<T, Agg>{std::move(agg)});
  }

  // f(const T&, const T&) -> T.
  template <class F>
  window_handle<T, K, T> reduce(F f) {
    return make(detail::aggregate_contents<T, detail::reduce_aggregator<T, F>>{{std::move(f)}});
  }

  // f(const K&, const time_window&, const std::vector<T>&, collector<Out>&).
  template <class Out, class F>
  window_handle<T, K, Out> process(F f) {
    return make(detail::process_contents<T, Out, F>{std::move(f)});
  }

 private:
  template <class Contents>
  window_handle<T, K, typename Contents::result_type> make(Contents contents) {
    using output = detail::window_output<K, typename Contents::result_type, T>;
    auto& n = input_.add_keyed_node("window");
    auto key = input_.key_fn();
    auto ts = input_.timestamps();
    if constexpr (counts) {
      n.make_operator = [key, a = assigner_, contents, ts] {
        return make_owned<detail::count_window_operator<T, KeyFn, Contents>>(key, a, contents, ts);
      };
    } else if constexpr (sessions) {
      n.make_operator = [key, a = assigner_, l = lateness_, contents, ts] {
        return make_owned<detail::window_operator<T, KeyFn, Assigner, Contents>>(key, a, l,
                                                                                 contents, ts);
      };
    } else {
      n.make_operator = [key, a = assigner_, l = lateness_, contents, ts] {
        return make_owned<detail::time_window_operator_t<T, KeyFn, Contents>>(key, a, l, contents,
                                                                              ts);
      };
    }
    n.make_tee = [] { return make_owned<detail::tee_operator<output>>(); };
    n.validate = [a = assigner_, l = lateness_, has_ts = static_cast<bool>(ts)]() -> status {
      auto st = a.validate();
      if (!st.ok()) return st;
      if (l < 0)
        return status(errc::invalid_argument,
                      "allowed lateness must not be negative (got " + std::to_string(l) + ")");
      if constexpr (!counts) {
        if (a.domain == time_domain::event_time && !has_ts)
          return status(errc::invalid_argument,
                        "event-time windows need timestamps: use a source with a watermark "
                        "strategy or with_timestamps() before key_by()");
      }
      return {};
    };
    return window_handle<T, K, typename Contents::result_type>(input_.graph(), n.id, ts);
  }

  keyed_stream<T, KeyFn> input_;
  Assigner assigner_;
  int64_t lateness_ = 0;
};

}  // namespace nagare
