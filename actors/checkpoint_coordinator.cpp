#include "checkpoint_coordinator.hpp"

#include <algorithm>
#include <chrono>

#include "log.hpp"

namespace nagare {

namespace {

double ms_between(checkpoint_coordinator::clock::time_point a,
                  checkpoint_coordinator::clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

checkpoint_coordinator::checkpoint_coordinator(uint64_t job_id, const job_submission& job,
                                               std::vector<task_description> tasks, job_port& port)
    : job_id_(job_id),
      port_(port),
      interval_(job.checkpoint_interval_ms),
      timeout_(job.checkpoint_timeout_ms ? job.checkpoint_timeout_ms : 60000),
      min_pause_(job.min_pause_ms),
      retained_(std::max<uint32_t>(1, job.retained_checkpoints)),
      tasks_(std::move(tasks)),
      last_ended_(clock::now()) {}

void checkpoint_coordinator::continue_after(uint64_t id) { last_id_ = std::max(last_id_, id); }

void checkpoint_coordinator::add_completed(std::vector<checkpoint_record> records) {
  for (auto& r : records) {
    last_id_ = std::max(last_id_, r.id);
    completed_.push_back(std::move(r));
  }
  std::sort(completed_.begin(), completed_.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
}

bool checkpoint_coordinator::due(clock::time_point now) const {
  if (!periodic() || pending_) return false;
  return now - last_ended_ >= min_pause_;
}

std::string checkpoint_coordinator::log_name() const { return "job " + std::to_string(job_id_); }

void checkpoint_coordinator::tick(clock::time_point now) {
  if (!closing_ && port_.running() && queued_.empty() && due(now) && !port_.input_ended())
    start(false, false, false, now);
}

void checkpoint_coordinator::request(bool savepoint, bool stop, waiter deliver) {
  queued_.push_back({savepoint, stop, std::move(deliver)});
  next();
}

void checkpoint_coordinator::next() {
  if (closing_ || !port_.running() || in_flight()) return;
  if (!queued_.empty()) {
    auto q = std::move(queued_.front());
    queued_.pop_front();
    start(q.savepoint, q.stop, false, clock::now());
    waiters_.push_back({pending_id(), std::move(q.deliver)});
    return;
  }
  if (port_.input_ended()) start(false, false, true, clock::now());
}

void checkpoint_coordinator::start(bool savepoint, bool stop, bool final, clock::time_point now) {
  auto id = begin(savepoint, final || port_.input_ended(), now);
  stopping_ = stop;
  port_.trigger(id);
}

void checkpoint_coordinator::stored(uint64_t id, const checkpoint_record& record,
                                    const status& outcome, clock::time_point now) {
  if (!outcome.ok())
    return fail(id, status(outcome.code(), "cannot store: " + outcome.message()), now);
  if (!pending_ || pending_->info.id != id) return;
  bool final = pending_->final;
  bool last = final || stopping_;
  completed(id, record, now);
  auto info = history_.back();
  NAGARE_LOG(info, log_name()) << (record.savepoint ? "savepoint " : "checkpoint ") << id
                               << " complete: " << info.bytes << " bytes, "
                               << static_cast<int64_t>(info.duration_ms) << " ms";
  port_.complete(id, last);
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->id == id) {
      it->deliver(status{}, info);
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  if (last) {
    ending_ = final ? job_state::finished : job_state::stopped;
    closing_ = true;
    return;  // the tasks close and report finished
  }
  next();
}

void checkpoint_coordinator::fail(uint64_t id, const status& why, clock::time_point now) {
  if (!pending_ || pending_->info.id != id) return;
  NAGARE_LOG(warning, log_name()) << "checkpoint " << id << " failed: " << why.message();
  end_failed(id, why.message(), now);
  stopping_ = false;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->id == id) {
      it->deliver(
          status(why.code(), "checkpoint " + std::to_string(id) + " failed: " + why.message()), {});
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  next();
}

void checkpoint_coordinator::abandon(job_state state, const status& why, clock::time_point now) {
  if (in_flight()) end_failed(pending_id(), std::string("the job ended: ") + to_string(state), now);
  auto waiters = std::move(waiters_);
  auto queued = std::move(queued_);
  waiters_.clear();
  queued_.clear();
  for (auto& w : waiters) w.deliver(why, {});
  for (auto& q : queued) q.deliver(why, {});
}

void checkpoint_coordinator::acknowledge(uint32_t task, uint64_t id, const checkpoint_ack& ack,
                                         clock::time_point now) {
  if (!pending_ || pending_->info.id != id || task >= tasks_.size() || pending_->acked[task])
    return;
  pending_->acked[task] = true;
  pending_->acks[task] = ack;
  task_checkpoint_info t;
  t.task = task;
  t.chain = tasks_[task].chain;
  t.subtask = tasks_[task].subtask;
  t.acknowledged = true;
  t.bytes = ack.bytes;
  t.alignment_ms = static_cast<double>(ack.alignment_us) / 1000.0;
  t.sync_ms = static_cast<double>(ack.sync_us) / 1000.0;
  t.async_ms = static_cast<double>(ack.async_us) / 1000.0;
  t.duration_ms = ms_between(pending_->started, now);
  pending_->info.tasks.push_back(std::move(t));
  pending_->info.bytes += ack.bytes;
  pending_->info.alignment_ms =
      std::max(pending_->info.alignment_ms, static_cast<double>(ack.alignment_us) / 1000.0);
  if (--pending_->missing == 0) port_.store(record(wall_ms()), retained_);
}

uint64_t checkpoint_coordinator::begin(bool savepoint, bool final, clock::time_point now) {
  pending_checkpoint p;
  p.info.id = ++last_id_;
  p.info.kind = savepoint ? checkpoint_kind::savepoint : checkpoint_kind::checkpoint;
  p.info.status = checkpoint_status::in_progress;
  p.info.started_unix_s = unix_now();
  p.started = now;
  p.acks.resize(tasks_.size());
  p.acked.resize(tasks_.size());
  p.missing = tasks_.size();
  p.final = final;
  pending_ = std::move(p);
  return pending_->info.id;
}

checkpoint_record checkpoint_coordinator::record(int64_t wall_ms) const {
  checkpoint_record r;
  r.job_id = job_id_;
  r.id = pending_->info.id;
  r.savepoint = pending_->info.kind == checkpoint_kind::savepoint;
  r.completed_ms = wall_ms;
  r.bytes = pending_->info.bytes;
  for (uint32_t t = 0; t < tasks_.size(); ++t)
    r.tasks.push_back(
        {t, pending_->acks[t].state_keys, pending_->acks[t].finished, pending_->acks[t].needs});
  return r;
}

void checkpoint_coordinator::completed(uint64_t id, const checkpoint_record& record,
                                       clock::time_point now) {
  if (!pending_ || pending_->info.id != id) return;
  auto info = std::move(pending_->info);
  info.status = checkpoint_status::completed;
  info.duration_ms = ms_between(pending_->started, now);
  std::sort(info.tasks.begin(), info.tasks.end(),
            [](const auto& a, const auto& b) { return a.task < b.task; });
  pending_.reset();
  last_ended_ = now;
  archive(std::move(info));
  completed_.push_back(record);
  // Keep what the store keeps: the newest `retained_` checkpoints and every savepoint.
  size_t plain = 0;
  for (auto it = completed_.rbegin(); it != completed_.rend(); ++it)
    if (!it->savepoint) ++plain;
  for (auto it = completed_.begin(); it != completed_.end() && plain > retained_;) {
    if (!it->savepoint) {
      it = completed_.erase(it);
      --plain;
    } else {
      ++it;
    }
  }
}

bool checkpoint_coordinator::end_failed(uint64_t id, const std::string& reason,
                                        clock::time_point now) {
  if (!pending_ || pending_->info.id != id) return false;
  auto info = std::move(pending_->info);
  info.status = checkpoint_status::failed;
  info.reason = reason;
  info.duration_ms = ms_between(pending_->started, now);
  // The tasks that did not acknowledge, listed too.
  for (uint32_t t = 0; t < tasks_.size(); ++t)
    if (!pending_->acked[t])
      info.tasks.push_back({t, tasks_[t].chain, tasks_[t].subtask, false, 0, 0, 0});
  std::sort(info.tasks.begin(), info.tasks.end(),
            [](const auto& a, const auto& b) { return a.task < b.task; });
  pending_.reset();
  last_ended_ = now;
  archive(std::move(info));
  return true;
}

std::optional<checkpoint_record> checkpoint_coordinator::latest() const {
  for (auto it = completed_.rbegin(); it != completed_.rend(); ++it)
    if (std::find(damaged_.begin(), damaged_.end(), it->id) == damaged_.end()) return *it;
  return std::nullopt;
}

void checkpoint_coordinator::mark_damaged(uint64_t id) { damaged_.push_back(id); }

void checkpoint_coordinator::mark_damaged(uint64_t id, uint64_t link, uint32_t task) {
  mark_damaged(id);
  for (const auto& r : completed_) {
    if (r.id == link) {
      mark_damaged(r.id);
      continue;
    }
    for (const auto& t : r.tasks)
      if (t.task == task && std::binary_search(t.needs.begin(), t.needs.end(), link))
        mark_damaged(r.id);
  }
}

void checkpoint_coordinator::archive(checkpoint_info info) {
  history_.push_back(std::move(info));
  while (history_.size() > history_size) history_.pop_front();
}

const checkpoint_info* checkpoint_coordinator::last_completed() const {
  for (auto it = history_.rbegin(); it != history_.rend(); ++it)
    if (it->status == checkpoint_status::completed) return &*it;
  return nullptr;
}

std::vector<checkpoint_info> checkpoint_coordinator::history() const {
  std::vector<checkpoint_info> out(history_.begin(), history_.end());
  if (pending_) out.push_back(pending_->info);
  return out;
}

}  // namespace nagare
