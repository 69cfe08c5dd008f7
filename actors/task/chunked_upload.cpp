#include "task/chunked_upload.hpp"

#include <algorithm>

namespace nagare {

chunked_upload::chunked_upload(uint64_t job, uint64_t checkpoint, uint32_t task,
                               std::shared_ptr<std::string> bytes,
                               std::shared_ptr<checkpoint_store> local, size_t chunk_bytes)
    : job_(job),
      checkpoint_(checkpoint),
      task_(task),
      bytes_(std::move(bytes)),
      local_(std::move(local)),
      chunk_bytes_(chunk_bytes) {
  if (bytes_)
    chunks_ = static_cast<uint32_t>(
        std::max<size_t>(1, (bytes_->size() + chunk_bytes_ - 1) / chunk_bytes_));
}

result<chunked_upload::piece> chunked_upload::next() {
  piece p;
  p.chunk = next_;
  if (bytes_) {
    p.chunks = chunks_;
    if (chunks_ == 1)
      p.bytes = std::move(*bytes_);  // no copy: nothing else needs them
    else
      p.bytes = bytes_->substr(static_cast<size_t>(next_) * chunk_bytes_, chunk_bytes_);
    if (next_ + 1 == chunks_) bytes_.reset();
  } else {
    auto read = local_->snapshot_chunk(job_, checkpoint_, task_, next_);
    if (!read.ok()) return read.error();
    chunks_ = read->chunks;
    p.chunks = read->chunks;
    p.bytes = std::move(read->bytes);
  }
  ++next_;
  return p;
}

}  // namespace nagare
