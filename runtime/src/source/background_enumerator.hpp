// A split enumerator whose discovery talks to a server (Kafka brokers, a
// Redis server): a thread of its own runs a discovery round every interval,
// and discover() only takes, under a mutex, what the rounds found since, so
// the job master's actor never waits on the network.
//
// It keeps the bookkeeping every such kind shares: the splits found and not
// yet handed out, those handed out (the snapshot), those restored (handed
// out again first), the error of the last failed round (reported once), and
// whether the first round succeeded (a bounded source ends after handing
// out its splits).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "source/split_enumerator.hpp"

namespace nagare {

class background_enumerator final : public split_enumerator {
 public:
  // One round: the splits whose ids are not in `known`, with their start
  // (and, bounded, end) positions resolved when `first` (the first round that
  // succeeds). Runs on the enumerator's thread only, so it may keep state (a
  // connection) in its captures.
  using round_fn = std::function<result<std::vector<source_split>>(
      const std::set<std::string>& known, bool first)>;

  // `kind` names the enumerator in messages; `once`: no round after the
  // first that succeeded (a fixed set of splits); `bounded`: no split after
  // those the first round found (discovery_finished() once handed out).
  background_enumerator(std::string kind, round_fn round, uint32_t interval_ms, bool bounded,
                        bool once);
  ~background_enumerator() override;

  result<std::vector<source_split>> discover() override;
  bool discovery_finished() const override { return finished_; }
  std::string snapshot() const override;
  status restore(const std::string& snapshot) override;

 private:
  void run();
  status round();

  const std::string kind_;
  round_fn round_;
  const uint32_t interval_ms_;
  const bool bounded_;
  const bool once_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  bool stopping_ = false;
  std::set<std::string> known_;           // found by the thread (handed out or not)
  std::vector<source_split> found_;       // found, not handed out yet
  std::vector<source_split> restored_;    // from the snapshot, handed out again first
  std::vector<source_split> handed_out_;  // every split discover() returned
  bool first_done_ = false;               // the thread's first round succeeded
  bool handed_first_done_ = false;        // ... and discover() has handed its splits out
  status error_;                          // of the last failed round, until reported
  bool finished_ = false;
};

}  // namespace nagare
