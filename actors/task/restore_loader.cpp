#include "task/restore_loader.hpp"

#include <utility>

#include "nagare/detail/operator_failure.hpp"
#include "nagare/detail/operators.hpp"
#include "snapshot_stream.hpp"
#include "state/kv_store.hpp"

namespace nagare {

namespace {

// The chunks of a snapshot in the node's store of local copies.
snapshot_chunk_source local_chunks(std::shared_ptr<checkpoint_store> store, uint64_t job,
                                   uint64_t checkpoint, uint32_t task) {
  return [store, job, checkpoint, task](uint32_t chunk) -> result<snapshot_chunk> {
    auto piece = store->snapshot_chunk(job, checkpoint, task, chunk);
    if (!piece.ok()) return piece.error();
    return snapshot_chunk{piece->chunks, std::move(piece->bytes)};
  };
}

// Where a fetched chunk is kept in the scratch store.
std::string scratch_key(uint64_t checkpoint, uint32_t task, uint32_t chunk) {
  return std::to_string(checkpoint) + "/" + std::to_string(task) + "/" + std::to_string(chunk);
}

snapshot_chunk_source scratch_chunks(std::shared_ptr<detail::kv_store> store, uint64_t checkpoint,
                                     uint32_t task, uint32_t chunks) {
  return [store, checkpoint, task, chunks](uint32_t chunk) -> result<snapshot_chunk> {
    snapshot_chunk c{chunks, {}};
    try {
      if (chunk >= chunks || !store->get(scratch_key(checkpoint, task, chunk), c.bytes))
        return status::io_error("fetched chunk " + std::to_string(chunk) + " of checkpoint " +
                                std::to_string(checkpoint) + ", task " + std::to_string(task) +
                                " is missing");
    } catch (const detail::operator_failure& e) {
      return e.st;
    }
    return c;
  };
}

}  // namespace

restore_loader::restore_loader(restore_assembly assembly, std::shared_ptr<checkpoint_store> local,
                               uint64_t job, std::string state_directory, std::string task_name)
    : assembly_(std::move(assembly)),
      local_(std::move(local)),
      job_(job),
      state_directory_(std::move(state_directory)),
      task_name_(std::move(task_name)) {}

restore_loader::~restore_loader() = default;

std::vector<restore_loader::fetch> restore_loader::start() {
  std::vector<fetch> out;
  load(out);
  if (loading_ == 0) loaded({}, out);  // nothing to load (or all local)
  return out;
}

void restore_loader::load(std::vector<fetch>& out) {
  auto refs = assembly_.next();
  loading_ += refs.size();  // before any arrives: local copies arrive at once
  for (auto ref : refs) {
    if (!error_.ok()) {  // failed meanwhile: load no more
      --loading_;
      continue;
    }
    // A copy on this node is as good as the store's, when it is intact. Its
    // key groups are read from it when the operators restore.
    if (local_) {
      auto decoded = read_snapshot_stream(local_chunks(local_, job_, ref.checkpoint, ref.task),
                                          assembly_.filter(ref.checkpoint, ref.task));
      if (decoded.ok()) {
        loaded(assembly_.add(ref.checkpoint, ref.task, std::move(decoded.value())), out);
        continue;
      }
    }
    queue_.push_back(ref);
  }
  while (error_.ok() && in_flight_.size() < max_fetches && !queue_.empty()) {
    auto ref = queue_.front();
    queue_.pop_front();
    in_flight_.push_back(in_flight{ref.checkpoint, ref.task, nullptr});
    out.push_back(fetch{ref.checkpoint, ref.task, 0});
  }
}

void restore_loader::loaded(const status& st, std::vector<fetch>& out) {
  if (answered_) return;
  if (loading_ > 0) --loading_;
  if (!st.ok() && error_.ok()) error_ = st;
  if (error_.ok()) {
    load(out);  // the links it revealed, and the next fetches
  } else {
    loading_ -= queue_.size();  // never fetched
    queue_.clear();
  }
  if (loading_ > 0) return;
  answered_ = true;
  if (!error_.ok())
    outcome_ = error_;
  else if (!assembly_.done())
    outcome_ = status(errc::internal,
                      "cannot restore " + task_name_ + ": snapshots missing from the restore");
  else
    outcome_ = status{};
}

restore_loader::in_flight* restore_loader::find(uint64_t checkpoint, uint32_t task) {
  for (auto& f : in_flight_)
    if (f.checkpoint == checkpoint && f.task == task) return &f;
  return nullptr;
}

void restore_loader::finished(uint64_t checkpoint, uint32_t task) {
  for (auto i = in_flight_.begin(); i != in_flight_.end(); ++i)
    if (i->checkpoint == checkpoint && i->task == task) {
      in_flight_.erase(i);
      return;
    }
}

std::vector<restore_loader::fetch> restore_loader::fetch_failed(const fetch& f, const status& why) {
  std::vector<fetch> out;
  finished(f.checkpoint, f.task);
  loaded(why, out);
  return out;
}

std::vector<restore_loader::fetch> restore_loader::chunk_arrived(const fetch& f,
                                                                 const status& error,
                                                                 uint32_t chunks,
                                                                 std::string& bytes) {
  std::vector<fetch> out;
  auto* entry = find(f.checkpoint, f.task);
  if (!entry) return out;  // not asked for
  if (!error.ok()) {
    finished(f.checkpoint, f.task);
    loaded(assembly_.load_failed(f.checkpoint, f.task, error.message()), out);
    return out;
  }
  if (chunks == 1) {
    finished(f.checkpoint, f.task);
    loaded(assembly_.add(f.checkpoint, f.task, std::move(bytes)), out);
    return out;
  }
  // Several chunks: kept on disk when the task has a state directory, read
  // back a frame at a time by the restore.
  if (f.chunk == 0 && !scratch_ && !state_directory_.empty()) {
    auto made = detail::kv_store::create(state_directory_ + "/restore");
    if (made.ok()) scratch_ = std::move(made.value());
  }
  fetch more{f.checkpoint, f.task, f.chunk + 1};
  if (scratch_ && !entry->buffer) {
    try {
      scratch_->put(scratch_key(f.checkpoint, f.task, f.chunk), bytes);
    } catch (const detail::operator_failure& e) {
      finished(f.checkpoint, f.task);
      loaded(e.st, out);
      return out;
    }
    std::string().swap(bytes);
    if (more.chunk < chunks) {
      out.push_back(more);
      return out;
    }
    finished(f.checkpoint, f.task);
    auto decoded = read_snapshot_stream(scratch_chunks(scratch_, f.checkpoint, f.task, chunks),
                                        assembly_.filter(f.checkpoint, f.task));
    if (!decoded.ok())
      loaded(assembly_.load_failed(f.checkpoint, f.task, decoded.error().message()), out);
    else
      loaded(assembly_.add(f.checkpoint, f.task, std::move(decoded.value())), out);
    return out;
  }
  if (!entry->buffer) {
    entry->buffer = std::make_shared<std::string>();
    entry->buffer->reserve(bytes.size() * chunks);
  }
  entry->buffer->append(bytes);
  std::string().swap(bytes);
  if (more.chunk < chunks) {
    out.push_back(more);
    return out;
  }
  auto buffer = std::move(entry->buffer);
  finished(f.checkpoint, f.task);
  loaded(assembly_.add(f.checkpoint, f.task, std::move(*buffer)), out);
  return out;
}

}  // namespace nagare
