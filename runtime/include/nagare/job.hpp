// The fluent job API: a job declares its dataflow from sources through
// transformations to sinks.
//
//   job.source(nagare::text_file_source(paths)).name("lines")
//      .flat_map<std::string>(split_words)
//      .key_by([](const std::string& w) { return w; })
//      .aggregate(nagare::count())
//      .sink(nagare::file_sink<std::pair<std::string, uint64_t>>(dir));
//
// Every call records a node in the job's graph; nothing runs until the
// runtime plans and deploys the graph. Operators connected one-to-one with
// equal parallelism run chained in one task; key_by starts a keyed exchange.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "nagare/aggregate.hpp"
#include "nagare/async.hpp"
#include "nagare/detail/async_operator.hpp"
#include "nagare/detail/exchange.hpp"
#include "nagare/detail/graph.hpp"
#include "nagare/detail/operators.hpp"
#include "nagare/lookup.hpp"
#include "nagare/sink.hpp"
#include "nagare/source.hpp"
#include "nagare/state.hpp"
#include "nagare/time.hpp"
#include "nagare/watermark.hpp"

namespace nagare {

template <class T>
class data_stream;

// Settings shared by every kind of operator handle.
template <class Self>
class operator_handle {
 public:
  // The operator's name in plans, logs and the admin shell.
  Self& name(std::string n) {
    return set([&](auto& node) { node.name = std::move(n); });
  }
  // A stable id under which the operator's state is stored across job versions.
  Self& uid(std::string u) {
    return set([&](auto& node) { node.uid = std::move(u); });
  }
  // The operator's own parallelism (default: the job's).
  Self& parallelism(uint32_t p) {
    return set([&](auto& node) { node.parallelism = p; });
  }

 protected:
  operator_handle(detail::graph* g, uint32_t id) : g_(g), id_(id) {}
  detail::node_spec& node() const { return g_->nodes[id_]; }
  template <class F>
  Self& set(F&& f) {
    f(node());
    return static_cast<Self&>(*this);
  }
  detail::graph* g_;
  uint32_t id_;
};

class sink_handle : public operator_handle<sink_handle> {
 public:
  sink_handle(detail::graph* g, uint32_t id) : operator_handle(g, id) {}
};

template <class T, class KeyFn>
class keyed_stream;

template <class T, class KeyFn, class Assigner>
class windowed_stream;  // nagare/window.hpp

template <class T>
class data_stream : public operator_handle<data_stream<T>> {
  using base = operator_handle<data_stream<T>>;

 public:
  using record_type = T;
  data_stream(detail::graph* g, uint32_t id, timestamps_of<T> ts = nullptr)
      : base(g, id), timestamps_(std::move(ts)) {}

  // The event time of this stream's records: set by a source with a
  // watermark strategy, kept by filter and key_by, lost by map and flat_map
  // (which make new records). Null when the stream has none.
  const timestamps_of<T>& timestamps() const { return timestamps_; }
  // Declares how this stream's records carry event time (after a map, say).
  // It does not generate watermarks: those still come from the sources.
  data_stream<T>& with_timestamps(timestamp_fn<T> f) {
    timestamps_ = std::move(f);
    return *this;
  }

  // One output record per input record.
  template <class F, class Out = std::decay_t<std::invoke_result_t<F&, T&&>>>
  data_stream<Out> map(F f) {
    return then<Out>("map", [f] { return make_owned<detail::map_operator<T, Out, F>>(f); });
  }

  // Zero or more output records per input record: f(const T&, collector<Out>&).
  template <class Out, class F>
  data_stream<Out> flat_map(F f) {
    return then<Out>("flat_map",
                     [f] { return make_owned<detail::flat_map_operator<T, Out, F>>(f); });
  }

  // Keeps the records for which f(const T&) is true.
  template <class F>
  data_stream<T> filter(F f) {
    auto out = then<T>("filter", [f] { return make_owned<detail::filter_operator<T, F>>(f); });
    out.timestamps_ = timestamps_;
    return out;
  }

  // Asynchronous I/O (nagare/async.hpp): start(const T&, async_result<Out>)
  // starts a request per record and completes it later from any thread; the
  // results come out in input order unless opts says unordered(). `fallback`
  // is what failure_action::emit_default emits.
  template <class Out, class Start>
  data_stream<Out> async_map(Start start, async_options opts = {}, Out fallback = Out{}) {
    return async<Out, Out>("async_map", detail::async_map_handler<T, Out, Start>{std::move(start)},
                           std::move(opts), std::move(fallback));
  }

  // Looks up key(const T&) (a string) in `table` (nagare/lookup.hpp) and
  // emits join(T&&, const std::string* value), value null when the table has
  // no such key (or, with on_failure=default, when the lookup failed).
  template <class KeyFn, class Join,
            class Out = std::decay_t<std::invoke_result_t<Join&, T&&, const std::string*>>>
  data_stream<Out> lookup(const lookup_table& table, KeyFn key, Join join) {
    detail::lookup_value fallback;
    fallback.cached = true;  // not an answer of the table: never cached
    auto out = async<Out, detail::lookup_value>(
        "lookup",
        detail::lookup_handler<T, Out, KeyFn, Join>(table.config(), std::move(key),
                                                    std::move(join)),
        table.async(), std::move(fallback));
    this->g_->nodes.back().validate = [table] {
      auto st = table.validate();
      return st.ok() ? table.async().validate() : st;
    };
    return out;
  }

  // The operator under async_map and lookup: per record, a request of result
  // R through handler.start, then handler.finish on the task's thread
  // (detail/async_operator.hpp).
  template <class Out, class R, class H>
  data_stream<Out> async(const char* kind, H handler, async_options opts, R fallback) {
    auto out = then<Out>(kind, [handler, opts, fallback, kind] {
      return make_owned<detail::async_operator<T, Out, R, H>>(handler, opts, fallback, kind);
    });
    this->g_->nodes.back().validate = [opts] { return opts.validate(); };
    return out;
  }

  // Partitions the stream by key(const T&): all records of a key reach the
  // same subtask of the next operator, which may keep state per key.
  template <class KeyFn>
  keyed_stream<T, KeyFn> key_by(KeyFn key) {
    return keyed_stream<T, KeyFn>(this->g_, this->id_, std::move(key), timestamps_);
  }

  // Writes the stream with a sink descriptor (file_sink, stdout_sink, ...).
  template <class Sink>
  sink_handle sink(Sink spec) {
    static_assert(std::is_same_v<typename Sink::record_type, T>,
                  "sink record type differs from the stream's");
    auto& n = add_node("sink", spec.name(), forward_edge());
    n.make_operator = [spec] { return make_owned<detail::sink_operator<T>>(spec.create()); };
    n.validate = [spec] { return spec.validate(); };
    if constexpr (detail::declares_guarantee<Sink>::value) n.guarantee = spec.guarantee();
    return sink_handle(this->g_, n.id);
  }

  // The input edge of an operator that consumes this stream one-to-one
  // (forward, or round-robin when the parallelism differs).
  detail::input_edge forward_edge() const {
    return {this->id_, detail::partition::forward,
            [](const detail::writer_config& c) -> owned<detail::exchange_writer> {
              if (c.kind == detail::partition::forward)
                return make_owned<detail::routing_writer<T, detail::forward_route>>(
                    c, detail::forward_route{});
              return make_owned<detail::routing_writer<T, detail::rebalance_route>>(
                  c, detail::rebalance_route{c.subtask % c.channels, c.channels});
            }};
  }

  // Adds a node that reads this stream through `edge`.
  detail::node_spec& add_node(std::string kind, std::string name, detail::input_edge edge) {
    auto& n = this->g_->add(std::move(kind), std::move(name));
    n.inputs.push_back(std::move(edge));
    n.make_reader = [] { return make_owned<detail::typed_reader<T>>(); };
    return n;
  }

 private:
  template <class Out, class Make>
  data_stream<Out> then(const char* kind, Make make) {
    auto& n = add_node(kind, kind, forward_edge());
    n.make_operator = std::move(make);
    n.make_tee = [] { return make_owned<detail::tee_operator<Out>>(); };
    return data_stream<Out>(this->g_, n.id);
  }
  timestamps_of<T> timestamps_;
};

template <class T, class KeyFn>
class keyed_stream {
  using K = std::decay_t<std::invoke_result_t<KeyFn&, const T&>>;

 public:
  keyed_stream(detail::graph* g, uint32_t from, KeyFn key, timestamps_of<T> ts = nullptr)
      : g_(g), from_(from), key_(std::move(key)), timestamps_(std::move(ts)) {}

  // The event time of the records (see data_stream::timestamps()).
  const timestamps_of<T>& timestamps() const { return timestamps_; }

  // Rolling reduce: emits f(previous, record) for every record (the record
  // itself for a key's first). f(const T&, const T&) -> T.
  template <class F>
  data_stream<T> reduce(F f) {
    return then<T>("reduce", [key = key_, f] {
      return make_owned<detail::reduce_operator<T, KeyFn, F>>(key, f);
    });
  }

  // A keyed process function with state (nagare/state.hpp): f.process(const
  // T&, keyed_context<K>&, collector<Out>&) sees each record with its key
  // current and emits zero or more Out records; f.open(state_context&), if f
  // has it, declares f's states; f.on_timer(int64_t time, time_domain,
  // keyed_context<K>&, collector<Out>&), if f has it, is called when a timer
  // the function registered through the context fires (see keyed_context).
  // Each subtask runs its own copy of f.
  template <class Out, class F>
  data_stream<Out> process(F f) {
    return then<Out>("process", [key = key_, f, ts = timestamps_] {
      return make_owned<detail::process_operator<T, Out, KeyFn, F>>(key, f, ts);
    });
  }

  // Groups each key's records into windows (nagare/window.hpp): `assigner`
  // is one of nagare/window_assigner.hpp's (tumbling_event_time_windows(ms),
  // count_windows(n), ...).
  template <class Assigner>
  windowed_stream<T, KeyFn, Assigner> window(Assigner assigner) {
    return windowed_stream<T, KeyFn, Assigner>(*this, std::move(assigner));
  }

  // Adds a node of `kind` that reads this stream partitioned by key (for
  // operators built outside this class, such as windows).
  detail::node_spec& add_keyed_node(const char* kind) {
    detail::input_edge edge{
        from_, detail::partition::keyed, [key = key_](const detail::writer_config& c) {
          using route = detail::key_route<T, KeyFn>;
          return owned<detail::exchange_writer>(make_owned<detail::routing_writer<T, route>>(
              c, route{key, c.max_parallelism, c.channels}));
        }};
    return data_stream<T>(g_, from_).add_node(kind, kind, std::move(edge));
  }
  const KeyFn& key_fn() const { return key_; }
  detail::graph* graph() const { return g_; }

  // Aggregates each key's records (see nagare/aggregate.hpp) and emits one
  // (key, result) pair per key when the input ends.
  template <class Agg, class R = detail::aggregate_result_t<Agg>>
  data_stream<std::pair<K, R>> aggregate(Agg agg) {
    return then<std::pair<K, R>>("aggregate", [key = key_, agg] {
      return make_owned<detail::aggregate_operator<T, KeyFn, Agg>>(key, agg);
    });
  }

 private:
  template <class Out, class Make>
  data_stream<Out> then(const char* kind, Make make) {
    auto& n = add_keyed_node(kind);
    n.make_operator = std::move(make);
    n.make_tee = [] { return make_owned<detail::tee_operator<Out>>(); };
    return data_stream<Out>(g_, n.id);
  }

  detail::graph* g_;
  uint32_t from_;
  KeyFn key_;
  timestamps_of<T> timestamps_;
};

// The builder a job's entry point receives.
// Whether a source descriptor declares a split enumerator (nagare/source.hpp).
template <class Source, class = void>
struct has_enumerator : std::false_type {};
template <class Source>
struct has_enumerator<Source,
                      std::void_t<decltype(std::declval<const Source&>().enumerator(uint32_t{}))>>
    : std::true_type {};

class job {
 public:
  explicit job(detail::graph& g) : g_(&g) {}

  // A source without event time: it emits no watermark until its input ends.
  template <class Source>
  data_stream<typename Source::record_type> source(Source spec) {
    return source(std::move(spec), watermark_strategy<typename Source::record_type>{});
  }

  // A source whose records carry event time as `strategy` says; it
  // generates watermarks per split (nagare/watermark.hpp). The stream keeps
  // the strategy's timestamp function (data_stream::timestamps()).
  template <class Source>
  data_stream<typename Source::record_type> source(
      Source spec, watermark_strategy<typename Source::record_type> strategy) {
    using T = typename Source::record_type;
    auto& n = g_->add("source", spec.name());
    n.make_operator = [spec, strategy] {
      return make_owned<detail::source_operator<T>>(spec.create(), strategy);
    };
    n.make_tee = [] { return make_owned<detail::tee_operator<T>>(); };
    n.validate = [spec] { return spec.validate(); };
    if constexpr (has_enumerator<Source>::value)
      n.enumerator = [spec](uint32_t parallelism) { return spec.enumerator(parallelism); };
    return data_stream<T>(g_, n.id, strategy.timestamps());
  }

 private:
  detail::graph* g_;
};

}  // namespace nagare

// keyed_stream::window() returns a windowed_stream.
#include "nagare/owned.hpp"
#include "nagare/window.hpp"  // NOLINT(build/include_order)
