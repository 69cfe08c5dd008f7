#include "snapshot_writer.hpp"

#include <algorithm>

namespace nagare {

snapshot_writer::snapshot_writer(checkpoint_store& store, uint64_t job, uint64_t checkpoint,
                                 uint32_t task, bool sync, size_t chunk_bytes)
    : store_(store),
      job_(job),
      checkpoint_(checkpoint),
      task_(task),
      sync_(sync),
      chunk_bytes_(std::max<size_t>(chunk_bytes, 1)) {}

status snapshot_writer::append(std::string_view bytes) {
  bytes_ += bytes.size();
  while (!bytes.empty()) {
    auto n = std::min(bytes.size(), chunk_bytes_ - buffer_.size());
    buffer_.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (buffer_.size() < chunk_bytes_) break;
    // More follows (at least the last chunk): its index says one chunk more
    // than written, and not every chunk there, until finish().
    auto st =
        store_.put_snapshot_chunk(job_, checkpoint_, task_, chunk_, chunk_ + 2, buffer_, {}, sync_);
    if (!st.ok()) return st;
    ++chunk_;
    buffer_.clear();
  }
  return {};
}

status snapshot_writer::finish(const std::vector<uint64_t>& needs) {
  auto st = store_.put_snapshot_chunk(job_, checkpoint_, task_, chunk_, chunk_ + 1, buffer_, needs,
                                      sync_);
  if (!st.ok()) return st;
  ++chunk_;
  std::string().swap(buffer_);
  return {};
}

}  // namespace nagare
