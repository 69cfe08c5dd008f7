#include "task/snapshot_spool.hpp"

namespace nagare {

snapshot_spool::snapshot_spool(checkpoint_store* local, uint64_t job, uint64_t checkpoint,
                               uint32_t task, size_t chunk_bytes)
    : local_(local), job_(job), checkpoint_(checkpoint), task_(task), chunk_bytes_(chunk_bytes) {}

status snapshot_spool::append(std::string&& frame) {
  if (!writer_) {
    if (!local_ || head_.size() + frame.size() <= chunk_bytes_) {
      if (head_.empty())
        head_ = std::move(frame);
      else
        head_.append(frame);
      return {};
    }
    writer_.emplace(*local_, job_, checkpoint_, task_, false, chunk_bytes_);
    auto st = writer_->append(head_);
    std::string().swap(head_);
    if (!st.ok()) return st;
  }
  return writer_->append(frame);
}

status snapshot_spool::finish(const std::vector<uint64_t>& needs) {
  if (writer_) return writer_->finish(needs);
  bytes_ = std::make_shared<std::string>(std::move(head_));
  if (local_)
    copy_error_ =
        local_->put_snapshot(job_, checkpoint_, task_, *bytes_, false, needs, chunk_bytes_);
  return {};
}

}  // namespace nagare
