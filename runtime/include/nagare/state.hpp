// State for job code. An operator declares named states once, in open(),
// through a state_context, and keeps the returned handles:
//
//  - keyed state (value_state, list_state, map_state of nagare/map_state.hpp)
//    is scoped to the current key: the runtime makes a record's key current
//    before it calls user code, so a handle always reads and writes the state
//    of the record's key. It is
//    stored per key group and moves with its keys when a job is restored at
//    another parallelism.
//  - operator state (operator_list_state) belongs to the subtask, not to a key:
//    a list of independent elements that a restore redistributes among the
//    new subtasks (see nagare::redistribution).
//
//   struct running_average {
//     nagare::value_state<std::pair<int64_t, uint64_t>> sum;  // (total, count)
//     void open(nagare::state_context& ctx) { sum = ctx.value<std::pair<int64_t, uint64_t>>("sum");
//     } void process(const reading& r, nagare::keyed_context<std::string>& ctx,
//                  nagare::collector<std::pair<std::string, double>>& out) {
//       auto& s = sum.set_default({0, 0});
//       s.first += r.value;
//       ++s.second;
//       out.emit({ctx.key(), double(s.first) / s.second});
//     }
//   };
//   stream.key_by(sensor_of).process<std::pair<std::string, double>>(running_average{});
//
// States are checkpointed with the operator and restored before the first
// record. Their value types (and the key type) need a codec
// (nagare/codec.hpp); map keys need operator<. State names identify states
// across checkpoints: rename one and its old state no longer restores.
//
// Threading: handles belong to one operator instance and are used from its
// task's thread only, during open() or a call the runtime makes with a current
// key (process). Pointers and references a handle returns stay valid until the
// next write to any state of the operator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/detail/function_metrics.hpp"
#include "nagare/detail/keyed_state.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/detail/operator_state.hpp"
#include "nagare/time.hpp"

namespace nagare {

class state_context;

// One value per key, or none.
template <class V>
class value_state {
 public:
  value_state() = default;  // unbound: assign the result of state_context::value()

  // The current key's value; nullptr when it has none. Writing through the
  // pointer updates the state.
  V* get() {
    auto* c = column_ ? column_cell() : static_cast<cell*>(rows_->current_inline());
    return c && c->present ? &c->value : nullptr;
  }
  const V* get() const { return const_cast<value_state*>(this)->get(); }
  bool exists() const { return get() != nullptr; }
  V value_or(V fallback) const {
    auto* v = get();
    return v ? *v : std::move(fallback);
  }
  // Sets the current key's value; returns it (to update in place).
  V& set(V v) {
    auto* c = column_ ? &column_->cells[rows_->current_or_create()]
                      : static_cast<cell*>(rows_->current_inline_or_create());
    c->value = std::move(v);
    c->present = true;
    return c->value;
  }
  // The current key's value, set to `init` first if it has none.
  V& set_default(V init) {
    auto* v = get();
    return v ? *v : set(std::move(init));
  }
  void clear() {
    auto* c = column_ ? column_cell() : static_cast<cell*>(rows_->current_inline());
    if (!c) return;
    *c = cell{};
    rows_->release_current_if_empty();
  }

 private:
  friend class state_context;
  using cell = detail::state_cell<V>;
  // column_ == nullptr: the backend stores this state inline in the key's entry.
  value_state(detail::keyed_rows* rows, detail::value_column<V>* column)
      : rows_(rows), column_(column) {}
  cell* column_cell() {
    auto row = rows_->current();
    return row == detail::no_row ? nullptr : &column_->cells[row];
  }
  detail::keyed_rows* rows_ = nullptr;
  detail::value_column<V>* column_ = nullptr;
};

// A list of values per key (empty: none).
template <class V>
class list_state {
 public:
  list_state() = default;  // unbound: assign the result of state_context::list()

  // The current key's list (empty when it has none).
  const std::vector<V>& get() const {
    static const std::vector<V> none;
    auto row = rows_->current();
    return row == detail::no_row ? none : column_->lists[row];
  }
  size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }
  void add(V v) { column_->lists[rows_->current_or_create()].push_back(std::move(v)); }
  // Replaces the current key's list (an empty one clears it).
  void update(std::vector<V> values) {
    if (values.empty()) return clear();
    column_->lists[rows_->current_or_create()] = std::move(values);
  }
  void clear() {
    auto row = rows_->current();
    if (row == detail::no_row) return;
    column_->clear(row);
    rows_->release_current_if_empty();
  }

 private:
  friend class state_context;
  list_state(detail::keyed_rows* rows, detail::list_column<V>* column)
      : rows_(rows), column_(column) {}
  detail::keyed_rows* rows_ = nullptr;
  detail::list_column<V>* column_ = nullptr;
};

// A map from MK to MV per key: nagare/map_state.hpp.
template <class MK, class MV>
class map_state;

// Operator state: a list of elements owned by the subtask. After a restore it
// holds this subtask's share of the elements every earlier subtask held at
// the checkpoint (redistribution decides which).
template <class V>
class operator_list_state {
 public:
  operator_list_state() = default;  // unbound: assign state_context::operator_list()

  const std::vector<V>& get() const { return list_->items; }
  void add(V v) { list_->items.push_back(std::move(v)); }
  void update(std::vector<V> values) { list_->items = std::move(values); }
  void clear() { list_->items.clear(); }

 private:
  friend class state_context;
  explicit operator_list_state(detail::operator_list<V>* list) : list_(list) {}
  detail::operator_list<V>* list_ = nullptr;
};

// Declares an operator's states; handed to its open(). Declaring a name again
// with the same kind and type returns the same state. An empty name, a name
// declared again with another kind or type, or keyed state outside a keyed
// stream fail open() (the task reports it).
class state_context {
 public:
  state_context(detail::keyed_rows* keyed, detail::operator_state* op, const subtask_info& info)
      : keyed_(keyed), op_(op), info_(info) {}

  template <class V>
  value_state<V> value(const std::string& name) {
    auto* rows = keyed("value", name);
    if (rows->take_inline(name, detail::type_tag<V>())) return {rows, nullptr};
    return {rows, rows->declare<detail::value_column<V>>(name)};
  }
  template <class V>
  list_state<V> list(const std::string& name) {
    return {keyed("list", name), keyed_->declare<detail::list_column<V>>(name)};
  }
  // Defined in nagare/map_state.hpp (include it to use map state).
  template <class MK, class MV>
  map_state<MK, MV> map(const std::string& name);
  template <class V>
  operator_list_state<V> operator_list(const std::string& name,
                                       redistribution mode = redistribution::even_split) {
    if (!op_)
      detail::throw_invalid_argument("operator state '" + name + "': this operator keeps none");
    return operator_list_state<V>(op_->declare<V>(name, mode));
  }

  // Where the operator instance runs.
  const subtask_info& subtask() const { return info_; }
  // The operator's metric group (nagare/metrics.hpp): register metrics here,
  // in open(), and keep the references.
  metric_group& metrics() { return *detail::metrics_of(info_); }

 private:
  detail::keyed_rows* keyed(const char* kind, const std::string& name) {
    if (!keyed_)
      detail::throw_invalid_argument(std::string(kind) + " state '" + name +
                                     "' is keyed state: declare it on a keyed stream (key_by)");
    return keyed_;
  }

  detail::keyed_rows* keyed_;
  detail::operator_state* op_;
  subtask_info info_;
};

namespace detail {

// The time and timers of a keyed operator, as its keyed_context reaches them:
// timers belong to the operator's current key. Implemented by the operator
// (detail/timed_operator.hpp); used from its task's thread only.
class time_access {
 public:
  virtual ~time_access() = default;
  virtual int64_t current_watermark() const = 0;
  virtual int64_t current_processing_time() const = 0;
  // Registering a timer the current key holds already keeps one timer;
  // deleting one it does not hold does nothing.
  virtual void register_timer(time_domain d, int64_t time) = 0;
  virtual void delete_timer(time_domain d, int64_t time) = 0;
};

}  // namespace detail

// What a keyed process function sees besides the record: the current key,
// where it runs, time, and the key's timers.
//
// A timer is a (domain, time) pair of the current key; a key holds each pair
// at most once. An event-time timer fires (F::on_timer) once the operator's
// watermark reaches its time (time <= watermark), a processing-time timer
// once the operator's processing time does; timers due together fire in time
// order. Timers are keyed state: they are checkpointed, restored and rescaled
// with their key. At end of input every pending timer fires (event-time ones
// at the final watermark, processing-time ones when the input ends).
template <class K>
class keyed_context {
 public:
  keyed_context(const K* key, const subtask_info* info, detail::time_access* time = nullptr,
                int64_t timestamp = min_timestamp)
      : key_(key), info_(info), time_(time), timestamp_(timestamp) {}
  // The key of the record being processed (or of the timer firing).
  const K& key() const { return *key_; }
  const subtask_info& subtask() const { return *info_; }

  // The event time of the record being processed (the stream's timestamp
  // function; min_timestamp when the stream has none); in on_timer the
  // timer's time.
  int64_t timestamp() const { return timestamp_; }
  // The operator's event time: the last watermark it saw (min_timestamp
  // before the first).
  int64_t current_watermark() const { return time_ ? time_->current_watermark() : min_timestamp; }
  // The operator's processing time (milliseconds since the epoch).
  int64_t current_processing_time() const {
    return time_ ? time_->current_processing_time() : min_timestamp;
  }

  void register_event_time_timer(int64_t time) { timers().register_timer(event, time); }
  void delete_event_time_timer(int64_t time) { timers().delete_timer(event, time); }
  void register_processing_time_timer(int64_t time) { timers().register_timer(processing, time); }
  void delete_processing_time_timer(int64_t time) { timers().delete_timer(processing, time); }

 private:
  static constexpr time_domain event = time_domain::event_time;
  static constexpr time_domain processing = time_domain::processing_time;
  detail::time_access& timers() {
    if (!time_) detail::throw_logic_error("timers are not available in this context");
    return *time_;
  }
  const K* key_;
  const subtask_info* info_;
  detail::time_access* time_;
  int64_t timestamp_;
};

}  // namespace nagare
