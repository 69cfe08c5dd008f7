#include "source/background_enumerator.hpp"

#include <chrono>
#include <utility>

#include "nagare/codec.hpp"

namespace nagare {

background_enumerator::background_enumerator(std::string kind, round_fn round, uint32_t interval_ms,
                                             bool bounded, bool once)
    : kind_(std::move(kind)),
      round_(std::move(round)),
      interval_ms_(interval_ms),
      bounded_(bounded),
      once_(once) {}

background_enumerator::~background_enumerator() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

result<std::vector<source_split>> background_enumerator::discover() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<source_split> out = std::move(restored_);
  restored_.clear();
  for (auto& s : found_) {
    handed_out_.push_back(s);
    out.push_back(std::move(s));
  }
  found_.clear();
  if (out.empty() && !error_.ok()) return std::exchange(error_, status{});
  error_ = status{};
  if (first_done_) handed_first_done_ = true;
  if (first_done_ && bounded_) finished_ = true;
  return out;
}

std::string background_enumerator::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return encode(std::pair<std::vector<source_split>, bool>(handed_out_, handed_first_done_));
}

status background_enumerator::restore(const std::string& snapshot) {
  std::pair<std::vector<source_split>, bool> s;
  byte_reader in(snapshot.data(), snapshot.size());
  if (!codec<std::pair<std::vector<source_split>, bool>>::decode(in, s) || in.remaining() != 0)
    return status::io_error("malformed snapshot of a " + kind_ + " split enumerator");
  std::lock_guard<std::mutex> lock(mutex_);
  handed_out_ = s.first;
  restored_ = std::move(s.first);
  for (const auto& split : handed_out_) known_.insert(split.id);
  first_done_ = handed_first_done_ = s.second;
  return {};
}

// A round every interval until stopped (or, once, until the first succeeded).
void background_enumerator::run() {
  for (;;) {
    status st = round();
    std::unique_lock<std::mutex> lock(mutex_);
    if (!st.ok()) error_ = st;
    if (once_ && first_done_) return;
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
    if (stopping_) return;
  }
}

status background_enumerator::round() {
  std::set<std::string> known;
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    known = known_;
    first = !first_done_;
  }
  auto splits = round_(known, first);
  if (!splits.ok()) return splits.error();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& s : splits.value()) {
    known_.insert(s.id);
    found_.push_back(std::move(s));
  }
  if (first) first_done_ = true;
  return {};
}

}  // namespace nagare
