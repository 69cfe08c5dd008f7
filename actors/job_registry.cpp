// The coordinator's registry of jobs: submitting one (storing its library
// and record, taking its slots, spawning its job master), waiting for one to
// end, recording how it ended, resuming the running jobs of an earlier run,
// slots for a job that restarts, and the list the shell shows.
#include <algorithm>
#include <chrono>

#include "coordinator_state.hpp"
#include "elf_check.hpp"
#include "job_master.hpp"
#include "job_rates.hpp"
#include "log.hpp"

namespace nagare {

namespace {

using clock = coordinator_state::clock;
constexpr auto query_timeout = std::chrono::seconds(5);

void persist(const coordinator_state& st, uint64_t id) {
  auto r = st.records.find(id);
  if (r == st.records.end()) return;
  auto written = st.store->put_job(id, encode_job_record(r->second));
  if (!written.ok()) NAGARE_LOG(error, "coordinator") << "job " << id << ": " << written.message();
}

caf::actor spawn_master(coordinator_self self, const coordinator_ptr& st, job_master_setup setup) {
  setup.coordinator = caf::actor_cast<caf::actor>(self);
  setup.store = st->checkpoints;
  return self->spawn<caf::linked>(job_master, std::move(setup));
}

std::tuple<uint64_t, status> submit(coordinator_self self, const coordinator_ptr& st,
                                    job_submission& job) {
  auto plan = decode_plan(job.plan);
  if (!plan.ok()) return {0, plan.error()};
  auto sources = check_enumerators(plan.value());
  if (!sources.ok())
    return {0, status(sources.code(), "job '" + job.name + "' rejected: " + sources.message())};
  if (!job.library.empty()) {
    if (library_hash(job.library) != job.library_hash)
      return {0, status::invalid_argument(
                     is_legacy_library_hash(job.library_hash)
                         ? "job library " + job.library_path +
                               " was sent with the hash of a Nagare build before SHA-256; submit "
                               "it with a client of the coordinator's version"
                         : "job library bytes do not match their hash")};
    if (auto elf = check_elf_image(job.library, job.library_path); !elf.ok()) return {0, elf};
    auto stored = st->store->put_library(job.library_hash, job.library);
    if (!stored.ok()) return {0, stored};
    job.library.clear();  // nodes fetch it by hash
  } else if (job.library_hash.rfind("linked:", 0) != 0 &&
             !st->store->library(job.library_hash).ok()) {
    return {0, status::not_found("job library " + job.library_hash +
                                 " was not sent and is not stored")};
  }
  auto assigned = assign_slots(plan->max_vertex_parallelism(), slots_of(*st));
  if (!assigned.ok())
    return {0, status(assigned.error().code(),
                      "job '" + job.name + "' rejected: " + assigned.error().message())};

  auto id = st->next_job_id++;
  // The id is on disk before anyone learns it: it is never handed out again,
  // even if the job's record is lost.
  if (st->ids) {
    auto marked = st->ids->raise_to(id);
    if (!marked.ok())
      return {0, status(marked.code(), "job '" + job.name + "' rejected: " + marked.message())};
  }
  job_master_setup setup;
  setup.job_id = id;
  setup.plan = std::move(plan.value());
  setup.slots = take_slots(*st, assigned.value());
  auto& entry = st->jobs[id];
  entry.name = job.name;
  entry.parallelism = job.parallelism;
  entry.slot_nodes = assigned.value();
  st->records[id] = make_job_record(id, job);
  persist(*st, id);
  setup.job = std::move(job);
  entry.master = spawn_master(self, st, std::move(setup));
  NAGARE_LOG(info, "coordinator") << "job " << id << " (" << entry.name << ") submitted";
  return {id, status{}};
}

}  // namespace

caf::typed_response_promise<uint64_t, status> on_submit(coordinator_self self,
                                                        const coordinator_ptr& st,
                                                        job_submission& job) {
  auto rp = self->make_response_promise<uint64_t, status>();
  if (job.from_savepoint.empty()) {
    auto [id, error] = submit(self, st, job);
    rp.deliver(id, error);
    return rp;
  }
  // A savepoint that does not exist (or cannot be read) refuses the submission.
  self->request(st->checkpoints, query_timeout, load_atom::value, job.from_savepoint)
      .then(
          [self, st, rp, job](status& error, checkpoint_record&) mutable {
            if (!error.ok()) {
              rp.deliver(uint64_t{0}, error);
              return;
            }
            auto [id, e] = submit(self, st, job);
            rp.deliver(id, e);
          },
          [rp, sp = job.from_savepoint](caf::error& e) mutable {
            rp.deliver(uint64_t{0}, status_of(e, "cannot read savepoint " + sp + ": "));
          });
  return rp;
}

caf::result<job_outcome> on_wait(coordinator_self self, const coordinator_ptr& st, uint64_t id) {
  auto j = st->jobs.find(id);
  if (j == st->jobs.end())
    return job_outcome{id, job_state::unknown, "no job with id " + std::to_string(id), 0, 0};
  if (j->second.ended()) return j->second.outcome;
  auto promise = self->make_response_promise<job_outcome>();
  j->second.waiters.push_back(promise);
  return promise;
}

void on_job_done(const coordinator_ptr& st, job_outcome& out, std::vector<restart_info> restarts,
                 std::vector<checkpoint_info> checkpoints) {
  auto j = st->jobs.find(out.job_id);
  if (j == st->jobs.end() || j->second.ended()) return;
  auto& job = j->second;
  job.state = out.state;
  job.reason = out.reason;
  job.outcome = out;
  job.restarts = std::move(restarts);
  job.checkpoints = std::move(checkpoints);
  job.master = nullptr;
  release_slots(*st, job);
  // A failed job keeps its checkpoints (to look into); savepoints always stay.
  if (out.state != job_state::failed) caf::anon_send(st->checkpoints, drop_atom::value, out.job_id);
  for (auto& w : job.waiters) w.deliver(out);
  job.waiters.clear();
  auto& rec = st->records[out.job_id];
  rec.state = out.state;
  rec.reason = out.reason;
  persist(*st, out.job_id);
  NAGARE_LOG(info, "coordinator") << "job " << out.job_id << " " << to_string(out.state)
                                  << (out.reason.empty() ? "" : ": " + out.reason);
}

void restore_jobs(coordinator_self self, const coordinator_ptr& st) {
  for (auto& [id, rec] : st->records) {
    st->next_job_id = std::max(st->next_job_id, id + 1);
    auto& job = st->jobs[id];
    job.name = rec.name;
    job.parallelism = rec.parallelism;
    job.state = rec.state;
    job.reason = rec.reason;
    job.outcome = job_outcome{id, rec.state, rec.reason, 0, 0};
    if (rec.state == job_state::running) {
      auto plan = decode_plan(rec.job.plan);
      if (!plan.ok()) {
        job.state = rec.state = job_state::failed;
        job.reason = rec.reason = "cannot resume: " + plan.error().message();
        job.outcome = job_outcome{id, rec.state, rec.reason, 0, 0};
      } else {
        job_master_setup setup;
        setup.job_id = id;
        setup.job = rec.job;
        setup.plan = std::move(plan.value());
        setup.resume = true;
        job.master = spawn_master(self, st, std::move(setup));
        NAGARE_LOG(info, "coordinator") << "job " << id << " (" << job.name << ") resumes";
      }
    }
    persist(*st, id);
  }
}

std::tuple<status, slot_assignment> on_reschedule(const coordinator_ptr& st, uint64_t id) {
  auto j = st->jobs.find(id);
  if (j == st->jobs.end() || j->second.ended())
    return {status::not_found("job " + std::to_string(id) + " is not running"), {}};
  auto& job = j->second;
  release_slots(*st, job);
  auto rec = st->records.find(id);
  auto plan = decode_plan(rec->second.job.plan);
  if (!plan.ok()) return {plan.error(), {}};
  auto assigned = assign_slots(plan->max_vertex_parallelism(), slots_of(*st));
  if (!assigned.ok()) return {assigned.error(), {}};
  job.slot_nodes = assigned.value();
  return {status{}, take_slots(*st, assigned.value())};
}

void on_progress(const coordinator_ptr& st, uint64_t id, const job_progress& p) {
  auto j = st->jobs.find(id);
  if (j != st->jobs.end() && !j->second.ended()) j->second.progress = p;
}

std::vector<job_info> on_jobs(const coordinator_ptr& st) {
  std::vector<job_info> out;
  for (const auto& [id, j] : st->jobs) {
    // A running job's age; an ended one's run time.
    auto seconds = j.ended() ? j.outcome.seconds
                             : std::chrono::duration<double>(clock::now() - j.since).count();
    auto rec = st->records.find(id);
    double submitted =
        rec == st->records.end() ? 0 : static_cast<double>(rec->second.submitted_ms) / 1000.0;
    out.push_back({id, j.name, j.state, j.parallelism, seconds, j.reason, submitted,
                   j.ended() ? job_progress{} : j.progress});
  }
  return out;
}

std::tuple<status, job_graph> on_graph(const coordinator_ptr& st, uint64_t id) {
  auto rec = st->records.find(id);
  if (rec == st->records.end())
    return {status(errc::not_found, "no job with id " + std::to_string(id)), job_graph{}};
  auto plan = decode_plan(rec->second.job.plan);
  if (!plan.ok()) return {plan.error(), job_graph{}};
  return {status{}, graph_of(plan.value())};
}

std::tuple<status, std::string> on_fetch(const coordinator_ptr& st, const std::string& hash) {
  auto bytes = st->store->library(hash);
  if (!bytes.ok()) return {bytes.error(), std::string{}};
  if (library_hash(bytes.value()) != hash) {
    NAGARE_LOG(error, "coordinator") << "stored job library " << hash << " is damaged";
    return {status(errc::corruption, "the coordinator's copy of job library " + hash +
                                         " is damaged (its bytes do not match their hash); "
                                         "submitting the job again stores it anew"),
            std::string{}};
  }
  return {status{}, std::move(bytes.value())};
}

std::pair<caf::actor, status> master_of(const coordinator_state& st, uint64_t id) {
  auto j = st.jobs.find(id);
  if (j == st.jobs.end())
    return {nullptr, status::not_found("no job with id " + std::to_string(id))};
  if (j->second.ended())
    return {nullptr,
            status::not_found("job " + std::to_string(id) + " is " + to_string(j->second.state))};
  return {j->second.master, status{}};
}

}  // namespace nagare
