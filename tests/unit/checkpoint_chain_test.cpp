// Incremental checkpoints on the runtime side: what each task snapshot needs
// (snapshot_lineage) and how a restore collects whole chains
// (restore_assembly), together with the checkpoint store, model-checked
// (each on its own: restore_assembly_test.cpp). A keyed
// counter written for this test snapshots only the keys that changed since
// the newest complete checkpoint (a delta with `extends` set), with a
// complete snapshot now and then and after every restore; it runs through
// the same steps as a task (lineage, encoding, the node's and the
// coordinator's stores, records, retention) and is restored, at the same or
// another parallelism, from every checkpoint kept. Its state must equal the
// counts computed by a plain loop, and what an operator writing only
// complete snapshots restores.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "checkpoint_coordinator.hpp"
#include "checkpoint_store.hpp"
#include "nagare/detail/operator.hpp"
#include "nagare/hash.hpp"
#include "restore_assembly.hpp"
#include "snapshot_lineage.hpp"
#include "task_chain.hpp"

namespace nagare {
namespace {

using detail::operator_snapshot;
using counts = std::map<uint64_t, uint64_t>;

constexpr uint32_t max_p = 16;
constexpr uint64_t delete_at = 5;  // a key whose count reaches this is deleted

uint32_t group_of(uint64_t key) { return key_group_of(key_hash<uint64_t>{}(key), max_p); }

// The counting rule, once: the key's count goes up; at delete_at it is deleted.
void count(counts& c, uint64_t key) {
  if (++c[key] == delete_at) c.erase(key);
}

// A keyed counter. Incremental unless `full`: a delta holds, per key group,
// "key=count" for every key changed since the newest checkpoint reported
// complete, and "key=-" for every key deleted since; a complete snapshot is
// written when none is known complete (at first and after a restore) and
// after `max_deltas` deltas in a row.
class delta_counter final : public detail::operator_instance {
 public:
  explicit delta_counter(bool full, uint32_t max_deltas = 3)
      : full_(full), max_deltas_(max_deltas) {}

  status open(const subtask_info& info) override {
    groups_ = key_groups_of(info.subtask, info.max_parallelism, info.parallelism);
    return {};
  }
  void add(uint64_t key) {
    count(state_, key);
    changed_[key] = epoch_;
  }
  const counts& state() const { return state_; }

  status prepare_checkpoint(uint64_t id) override {
    pending_ = id;
    return {};
  }
  void snapshot(operator_snapshot& out) const override {
    bool delta = !full_ && complete_ && complete_->deltas < max_deltas_;
    auto changed = [&](uint64_t key) {
      auto it = changed_.find(key);
      return it != changed_.end() && it->second > complete_->epoch;
    };
    for (const auto& [key, c] : state_)
      if (!delta || changed(key)) put(out, key, std::to_string(c));
    if (delta) {
      for (const auto& [key, epoch] : changed_)
        if (changed(key) && !state_.count(key)) put(out, key, "-");
      out.extends = complete_->checkpoint;
    }
    taken_[pending_] = {pending_, epoch_, delta ? complete_->deltas + 1 : 0};
    ++epoch_;
  }
  status checkpoint_complete(uint64_t id) override {
    auto t = taken_.find(id);
    if (t == taken_.end()) return {};
    complete_ = t->second;
    taken_.erase(taken_.begin(), taken_.upper_bound(id));
    // Keys unchanged since then appear in no later delta.
    for (auto it = changed_.begin(); it != changed_.end();)
      it = it->second <= complete_->epoch ? changed_.erase(it) : std::next(it);
    return {};
  }

  // Applies every chain in order; a delta must follow the snapshot it extends.
  status restore(const std::vector<operator_snapshot>& previous, const subtask_info&) override {
    const operator_snapshot* before = nullptr;
    for (const auto& s : previous) {
      if (s.checkpoint == 0) return status::invalid_argument("a snapshot without its checkpoint");
      if (s.extends != 0 && (!before || before->checkpoint != s.extends))
        return status::invalid_argument("delta of checkpoint " + std::to_string(s.checkpoint) +
                                        " does not follow checkpoint " + std::to_string(s.extends));
      for (const auto& [kg, text] : s.key_groups) {
        if (!groups_.contains(kg)) return status::invalid_argument("key group not mine");
        size_t at = 0;
        while (at < text.size()) {
          auto end = text.find(';', at);
          auto eq = text.find('=', at);
          auto key = std::stoull(text.substr(at, eq - at));
          auto value = text.substr(eq + 1, end - eq - 1);
          if (value == "-")
            state_.erase(key);
          else
            state_[key] = std::stoull(value);
          at = end + 1;
        }
      }
      before = &s;
    }
    return {};
  }

 private:
  struct taken {
    uint64_t checkpoint = 0;
    uint64_t epoch = 0;   // the last epoch it holds
    uint32_t deltas = 0;  // deltas in a row up to it (0: complete)
  };
  static void put(operator_snapshot& out, uint64_t key, const std::string& value) {
    out.key_groups[group_of(key)] += std::to_string(key) + "=" + value + ";";
  }

  bool full_;
  uint32_t max_deltas_;
  key_group_range groups_;
  counts state_;
  std::map<uint64_t, uint64_t> changed_;  // key -> epoch of its last change
  mutable uint64_t epoch_ = 1;
  uint64_t pending_ = 0;
  mutable std::map<uint64_t, taken> taken_;
  std::optional<taken> complete_;
};

subtask_info info_of(uint32_t subtask, uint32_t parallelism) {
  subtask_info info;
  info.subtask = subtask;
  info.parallelism = parallelism;
  info.max_parallelism = max_p;
  return info;
}

// One subtask as a task runs it: the operator, and its lineage.
struct task {
  std::unique_ptr<delta_counter> op;
  snapshot_lineage lineage{{"counter"}};
};

// A job of one keyed counter at parallelism p over a coordinator's store and
// one node's store, checkpointed and restored the way the runtime does it.
class chain_job {
 public:
  chain_job(bool full, uint32_t retained) : full_(full), retained_(retained) {
    store_ = std::move(checkpoint_store::open("").value());
    local_ = std::move(checkpoint_store::open("").value());
  }

  // Starts attempt at parallelism p, restored from checkpoint `from` (0: none).
  void start(uint32_t p, uint64_t from = 0) {
    tasks_.clear();
    for (uint32_t s = 0; s < p; ++s) {
      task t;
      t.op = std::make_unique<delta_counter>(full_);
      ASSERT_TRUE(t.op->open(info_of(s, p)).ok());
      tasks_.push_back(std::move(t));
    }
    if (from == 0) {
      model_.clear();
      return;
    }
    auto restored = restore(from, p);
    ASSERT_TRUE(restored.has_value());
    for (uint32_t s = 0; s < p; ++s) {
      auto st = tasks_[s].op->restore((*restored)[s], info_of(s, p));
      ASSERT_TRUE(st.ok()) << st.message();
    }
    model_ = expected_.at(from);
  }

  void add(uint64_t key) {
    count(model_, key);
    auto kg = group_of(key);
    for (uint32_t s = 0; s < tasks_.size(); ++s)
      if (key_groups_of(s, max_p, static_cast<uint32_t>(tasks_.size())).contains(kg))
        tasks_[s].op->add(key);
  }

  // Takes checkpoint `id` on every task; completes it unless `fail`.
  void checkpoint(uint64_t id, bool fail = false, bool savepoint = false) {
    stored_checkpoint record;
    record.job_id = job;
    record.id = id;
    record.savepoint = savepoint;
    for (uint32_t s = 0; s < tasks_.size(); ++s) {
      auto& t = tasks_[s];
      ASSERT_TRUE(t.op->prepare_checkpoint(id).ok());
      std::vector<operator_snapshot> snaps(1);
      t.op->snapshot(snaps[0]);
      auto needs = t.lineage.take(id, snaps);
      ASSERT_TRUE(needs.ok()) << needs.error().message();
      auto bytes = encode_snapshots(std::move(snaps));
      ASSERT_TRUE(local_->put_snapshot(job, id, s, bytes, false, needs.value()).ok());
      ASSERT_TRUE(store_->put_snapshot(job, id, s, bytes, true, needs.value(), 100).ok());
      record.tasks.push_back({s, {"counter"}, false, needs.value()});
    }
    if (fail) return;
    auto st = store_->complete(record);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(store_->retain(job, retained_).ok());
    expected_[id] = model_;
    for (auto& t : tasks_) {
      ASSERT_TRUE(t.op->checkpoint_complete(id).ok());
      t.lineage.completed(id);
    }
    ASSERT_TRUE(local_->drop_before(job, id).ok());
  }

  // What every subtask at parallelism p restores from checkpoint `id`
  // (chains loaded from `from`, the coordinator's store by default), or the
  // error; nullopt after a test failure.
  std::optional<std::vector<std::vector<operator_snapshot>>> restore(
      uint64_t id, uint32_t p, checkpoint_store* from = nullptr, status* error = nullptr,
      std::optional<restore_assembly::snapshot_ref>* damaged = nullptr) {
    from = from ? from : store_.get();
    auto record = store_->record(job, id);
    EXPECT_TRUE(record.ok()) << record.error().message();
    if (!record.ok()) return std::nullopt;
    std::vector<std::vector<operator_snapshot>> out;
    for (uint32_t s = 0; s < p; ++s) {
      auto groups = key_groups_of(s, max_p, p);
      restore_assembly a(id, record->tasks, {"counter"}, groups.first, groups.last);
      while (!a.done()) {
        auto refs = a.next();
        EXPECT_FALSE(refs.empty());
        if (refs.empty()) return std::nullopt;
        for (auto ref : refs) {
          auto bytes = from->snapshot(job, ref.checkpoint, ref.task);
          auto st = bytes.ok() ? a.add(ref.checkpoint, ref.task, std::move(bytes.value()))
                               : a.load_failed(ref.checkpoint, ref.task, bytes.error().message());
          if (!st.ok()) {
            if (damaged) *damaged = a.damaged();
            if (error)
              *error = st;
            else
              ADD_FAILURE() << st.message();
            return std::nullopt;
          }
        }
      }
      auto per_operator = a.take();
      out.push_back(std::move(per_operator.at(0)));
    }
    return out;
  }

  // The union of the subtasks' states after a restore from `id` at p.
  counts restored_state(uint64_t id, uint32_t p, checkpoint_store* from = nullptr) {
    auto r = restore(id, p, from);
    counts out;
    if (!r) return out;
    for (uint32_t s = 0; s < p; ++s) {
      delta_counter op(true);
      EXPECT_TRUE(op.open(info_of(s, p)).ok());
      auto st = op.restore((*r)[s], info_of(s, p));
      EXPECT_TRUE(st.ok()) << st.message();
      out.insert(op.state().begin(), op.state().end());
    }
    return out;
  }

  counts state() const {
    counts out;
    for (const auto& t : tasks_) out.insert(t.op->state().begin(), t.op->state().end());
    return out;
  }
  const counts& model() const { return model_; }
  const counts& expected(uint64_t id) const { return expected_.at(id); }
  std::vector<uint64_t> restorable() {
    std::vector<uint64_t> ids;
    auto listing = store_->completed(job);
    EXPECT_TRUE(listing.ok());
    if (!listing.ok()) return ids;
    for (const auto& c : listing->checkpoints) ids.push_back(c.id);
    return ids;
  }
  checkpoint_store& store() { return *store_; }
  checkpoint_store& local() { return *local_; }
  const task& task_at(uint32_t s) const { return tasks_[s]; }

  static constexpr uint64_t job = 7;

 private:
  bool full_;
  uint32_t retained_;
  std::unique_ptr<checkpoint_store> store_;
  std::unique_ptr<checkpoint_store> local_;
  std::vector<task> tasks_;
  counts model_;
  std::map<uint64_t, counts> expected_;  // at each complete checkpoint
};

// Deterministic keys: a skewed mix of few hot keys and many cold ones.
uint64_t key_at(uint64_t i) { return (i * 2654435761u) % 7 == 0 ? i % 3 : (i * 40503u) % 61; }

// The scenario every model test runs: checkpoints every `every` records, some
// of them failing, a savepoint, restarts at other parallelisms from the
// latest checkpoint, and a restore of every checkpoint still listed.
struct scenario {
  const char* what;
  uint32_t retained;
  std::vector<uint32_t> parallelisms;  // of each attempt
};

void PrintTo(const scenario& s, std::ostream* os) { *os << s.what; }

class chain_model_test : public ::testing::TestWithParam<scenario> {};

TEST_P(chain_model_test, restores_equal_a_plain_count_and_a_full_snapshot_run) {
  const auto& sc = GetParam();
  chain_job delta(false, sc.retained);
  chain_job full(true, sc.retained);
  uint64_t id = 0, next = 0;
  uint64_t latest = 0;
  for (size_t attempt = 0; attempt < sc.parallelisms.size(); ++attempt) {
    for (auto* j : {&delta, &full}) j->start(sc.parallelisms[attempt], latest);
    ASSERT_EQ(delta.state(), delta.model()) << sc.what << ": attempt " << attempt;
    for (int round = 0; round < 9; ++round) {
      for (int i = 0; i < 40; ++i, ++next)
        for (auto* j : {&delta, &full}) j->add(key_at(next + 1000 * attempt));
      ++id;
      bool fail = round % 4 == 2;  // declined somewhere: never complete
      bool savepoint = attempt == 0 && round == 3;
      for (auto* j : {&delta, &full}) j->checkpoint(id, fail, savepoint);
      if (!fail) latest = id;
    }
    ASSERT_EQ(delta.state(), delta.model());
    ASSERT_EQ(delta.restorable(), full.restorable());
    for (auto cp : delta.restorable())
      for (uint32_t p : {1u, 2u, 3u}) {
        auto got = delta.restored_state(cp, p);
        EXPECT_EQ(got, delta.expected(cp)) << sc.what << ": checkpoint " << cp << " at p=" << p;
        EXPECT_EQ(got, full.restored_state(cp, p)) << sc.what << ": checkpoint " << cp;
      }
  }
}

INSTANTIATE_TEST_SUITE_P(
    chains, chain_model_test,
    ::testing::Values(scenario{"one retained, same parallelism", 1, {2, 2, 2}},
                      scenario{"three retained, rescaled up and down", 3, {2, 3, 1}},
                      scenario{"one task", 1, {1, 1}}),
    [](const ::testing::TestParamInfo<scenario>& i) {
      return std::to_string(i.index) + "_retained" + std::to_string(i.param.retained);
    });

// The incremental run really writes deltas (or the model test proves little),
// and retention keeps their bases: with one retained checkpoint, the store
// still holds older snapshots, and every one the kept checkpoint needs.
TEST(checkpoint_chains, deltas_keep_their_bases_through_retention) {
  chain_job j(false, 1);
  j.start(2);
  for (uint64_t id = 1; id <= 3; ++id) {
    for (uint64_t i = 0; i < 50; ++i) j.add(key_at(i + 50 * id));
    j.checkpoint(id);
  }
  EXPECT_EQ(j.restorable(), (std::vector<uint64_t>{3}));
  auto record = j.store().record(chain_job::job, 3);
  ASSERT_TRUE(record.ok());
  for (uint32_t t = 0; t < 2; ++t) {
    EXPECT_EQ(record->tasks[t].needs, (std::vector<uint64_t>{1, 2})) << t;
    for (uint64_t id : {1, 2}) {
      EXPECT_TRUE(j.store().snapshot(chain_job::job, id, t).ok()) << id;
      EXPECT_TRUE(j.local().snapshot(chain_job::job, id, t).ok()) << id;
    }
  }
  // The node's copies alone restore it too.
  EXPECT_EQ(j.restored_state(3, 2, &j.local()), j.expected(3));
}

// A damaged base spoils its chain: the restore fails naming that snapshot
// (checkpoint and task), and the master then counts every complete checkpoint
// that needs it as damaged, so the fallback skips them all.
TEST(checkpoint_chains, damaged_base_fails_every_checkpoint_over_it) {
  chain_job j(false, 3);
  j.start(2);
  for (uint64_t id = 1; id <= 5; ++id) {
    for (uint64_t i = 0; i < 50; ++i) j.add(key_at(i + 50 * id));
    j.checkpoint(id);
  }
  // Task 1 wrote complete snapshots at 1 and 5 (after three deltas), deltas at 2..4.
  auto needs4 = j.store().snapshot_needs(chain_job::job, 4, 1);
  ASSERT_TRUE(needs4.ok());
  ASSERT_EQ(needs4.value(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(j.restorable(), (std::vector<uint64_t>{3, 4, 5}));
  ASSERT_TRUE(j.store().put_snapshot(chain_job::job, 1, 1, "not a snapshot", true).ok());
  status error;
  std::optional<restore_assembly::snapshot_ref> at;
  EXPECT_FALSE(j.restore(4, 2, nullptr, &error, &at).has_value());
  EXPECT_EQ(error.message().rfind("checkpoint 1, task 1: ", 0), 0u) << error.message();
  EXPECT_NE(error.message().find("a link in the chain of checkpoint 4"), std::string::npos)
      << error.message();
  EXPECT_EQ(error.code(), errc::corruption);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(at->checkpoint, 1u);
  EXPECT_EQ(at->task, 1u);

  job_submission sub;
  struct : job_port {
    bool running() const override { return false; }
    bool input_ended() const override { return false; }
    void trigger(uint64_t) override {}
    void store(const checkpoint_record&, uint32_t) override {}
    void complete(uint64_t, bool) override {}
  } no_job;
  checkpoint_coordinator cc(chain_job::job, sub, {{"counter", 0}, {"counter", 1}}, no_job);
  auto listing = j.store().completed(chain_job::job);
  ASSERT_TRUE(listing.ok());
  cc.add_completed(listing->checkpoints);
  ASSERT_EQ(cc.latest()->id, 5u);
  cc.mark_damaged(4, at->checkpoint, at->task);  // a restore of 4 found it
  ASSERT_TRUE(cc.latest().has_value());
  EXPECT_EQ(cc.latest()->id, 5u);  // 5 is a new base: not spoiled
  cc.mark_damaged(5);
  EXPECT_FALSE(cc.latest().has_value());  // 3 and 4 need the damaged base
  EXPECT_EQ(j.restored_state(5, 3), j.expected(5));
}

// A link the store lost is reported the same way.
TEST(checkpoint_chains, missing_link_is_named) {
  chain_job j(false, 1);
  j.start(1);
  for (uint64_t id = 1; id <= 3; ++id) {
    for (uint64_t i = 0; i < 30; ++i) j.add(key_at(i + 30 * id));
    j.checkpoint(id);
  }
  auto empty = checkpoint_store::open("");
  status error;
  EXPECT_FALSE(j.restore(3, 1, empty.value().get(), &error).has_value());
  EXPECT_EQ(error.message().rfind("checkpoint 3, task 0: ", 0), 0u) << error.message();
  ASSERT_TRUE(j.store().drop_job(chain_job::job).ok());  // not a savepoint: all gone
  EXPECT_TRUE(j.restorable().empty());
}

}  // namespace
}  // namespace nagare
