#include "restore_assembly.hpp"

#include <algorithm>

#include "task_chain.hpp"

namespace nagare {

restore_assembly::restore_assembly(uint64_t checkpoint, const std::vector<stored_task>& tasks,
                                   std::vector<std::string> mine, uint32_t first_key_group,
                                   uint32_t end_key_group)
    : checkpoint_(checkpoint),
      tasks_(tasks),
      mine_(std::move(mine)),
      first_key_group_(first_key_group),
      end_key_group_(end_key_group) {
  if (checkpoint_ == 0) return;
  for (const auto& t : tasks_) {
    bool any = false;
    for (size_t j = 0; j < t.state_keys.size(); ++j) {
      if (std::find(mine_.begin(), mine_.end(), t.state_keys[j]) == mine_.end()) continue;
      chain c;
      c.task = t.task;
      c.op = j;
      c.awaiting = checkpoint_;
      chains_.push_back(std::move(c));
      any = true;
    }
    if (any) {
      requested_[{checkpoint_, t.task}] = false;
      to_load_.push_back({checkpoint_, t.task});
    }
  }
}

std::vector<restore_assembly::snapshot_ref> restore_assembly::next() {
  std::vector<snapshot_ref> out;
  out.swap(to_load_);
  return out;
}

bool restore_assembly::done() const {
  if (failed_) return true;
  return std::all_of(chains_.begin(), chains_.end(),
                     [](const chain& c) { return c.awaiting == 0; });
}

snapshot_filter restore_assembly::filter(uint64_t checkpoint, uint32_t task) const {
  snapshot_filter keep;
  auto& out = keep.operators;
  for (const auto& c : chains_) {
    if (c.task != task || c.awaiting != checkpoint) continue;
    if (out.size() <= c.op) out.resize(c.op + 1);
    out[c.op] = true;
  }
  if (out.empty()) out.push_back(false);  // an empty filter would keep everything
  keep.first_key_group = first_key_group_;
  keep.end_key_group = end_key_group_;
  return keep;
}

status restore_assembly::link_error(uint64_t checkpoint, uint32_t task, const std::string& why) {
  if (!damaged_) damaged_ = snapshot_ref{checkpoint, task};
  return status(
      errc::corruption,
      "checkpoint " + std::to_string(checkpoint) + ", task " + std::to_string(task) + ": " + why +
          (checkpoint == checkpoint_
               ? std::string()
               : " (a link in the chain of checkpoint " + std::to_string(checkpoint_) + ")"));
}

status restore_assembly::load_failed(uint64_t checkpoint, uint32_t task, const std::string& why) {
  return link_error(checkpoint, task, why);
}

status restore_assembly::add(uint64_t checkpoint, uint32_t task, std::string bytes) {
  auto decoded = decode_snapshots(bytes, filter(checkpoint, task));
  std::string().swap(bytes);
  if (!decoded.ok()) {
    failed_ = true;
    return link_error(checkpoint, task, decoded.error().message());
  }
  return add(checkpoint, task, std::move(decoded.value()));
}

status restore_assembly::add(uint64_t checkpoint, uint32_t task,
                             std::vector<detail::operator_snapshot> decoded) {
  auto fail = [&](const std::string& why) {
    failed_ = true;
    return link_error(checkpoint, task, why);
  };
  auto req = requested_.find({checkpoint, task});
  if (failed_ || req == requested_.end() || req->second)
    return fail("arrived without being asked for");
  req->second = true;
  auto record = std::find_if(tasks_.begin(), tasks_.end(),
                             [&](const stored_task& t) { return t.task == task; });
  if (record == tasks_.end()) return fail("not a task of the restored checkpoint");
  if (decoded.size() != record->state_keys.size())
    return fail("snapshot of " + std::to_string(decoded.size()) + " operators, expected " +
                std::to_string(record->state_keys.size()));
  if (checkpoint == checkpoint_) {
    loaded_any_ = true;
    all_finished_ = all_finished_ && record->finished;
  }
  for (auto& c : chains_) {
    if (c.task != task || c.awaiting != checkpoint) continue;
    auto& s = decoded[c.op];
    const auto& key = record->state_keys[c.op];
    if (s.checkpoint != 0 && s.checkpoint != checkpoint)
      return fail("operator '" + key + "' holds its snapshot of checkpoint " +
                  std::to_string(s.checkpoint));
    s.checkpoint = checkpoint;
    const auto e = s.extends;
    if (e >= checkpoint)
      return fail("operator '" + key + "' extends checkpoint " + std::to_string(e) +
                  ", not an earlier one");
    c.links.push_back(std::move(s));
    c.awaiting = e;
    if (e == 0) continue;
    // Asked for already and still coming: its decoding will include this
    // operator. Arrived already (for another operator): ask again.
    auto link = requested_.find({e, task});
    if (link != requested_.end() && !link->second) continue;
    requested_[{e, task}] = false;
    to_load_.push_back({e, task});
  }
  return {};
}

std::vector<std::vector<detail::operator_snapshot>> restore_assembly::take() {
  std::vector<std::vector<detail::operator_snapshot>> out(mine_.size());
  for (auto& c : chains_) {
    const auto& record = *std::find_if(tasks_.begin(), tasks_.end(),
                                       [&](const stored_task& t) { return t.task == c.task; });
    auto i = static_cast<size_t>(std::find(mine_.begin(), mine_.end(), record.state_keys[c.op]) -
                                 mine_.begin());
    for (auto it = c.links.rbegin(); it != c.links.rend(); ++it) out[i].push_back(std::move(*it));
    c.links.clear();
  }
  return out;
}

std::vector<std::vector<uint64_t>> restore_assembly::chains_of(uint32_t task) const {
  std::vector<std::vector<uint64_t>> out;
  auto record = std::find_if(tasks_.begin(), tasks_.end(),
                             [&](const stored_task& t) { return t.task == task; });
  if (record == tasks_.end()) return out;
  out.resize(record->state_keys.size());
  for (const auto& c : chains_) {
    if (c.task != task) continue;
    for (auto it = c.links.rbegin(); it != c.links.rend(); ++it)
      if (it->checkpoint != checkpoint_) out[c.op].push_back(it->checkpoint);
  }
  return out;
}

}  // namespace nagare
