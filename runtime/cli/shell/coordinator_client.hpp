// The admin shell's line to the coordinator: one request per call, each with
// a timeout, so a dead or hung coordinator costs at most that long. It
// notices a lost connection (the coordinator's proxy goes down) and
// reconnects on the next call.
#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "messages.hpp"
#include "nagare/status.hpp"

namespace nagare::cli::shell {

inline constexpr auto request_timeout = std::chrono::seconds(10);
// Checkpoints and savepoints taken by hand: the job master fails them after
// the job's checkpoint timeout (60 s by default), so this is a last resort.
inline constexpr auto checkpoint_timeout = std::chrono::minutes(10);

// Not thread-safe: make it and call it from one thread only (the shell's).
// REQUIRES: `sys` and `notices` outlive the client.
class coordinator_client {
 public:
  // `where` is HOST:PORT; `notices` gets one-line notes such as a reconnect.
  coordinator_client(caf::actor_system& sys, std::string where, std::ostream& notices);
  // A client of a coordinator in this process (the REST API's): always
  // connected to `coordinator`.
  coordinator_client(caf::actor_system& sys, caf::actor coordinator, std::ostream& notices);
  coordinator_client(const coordinator_client&) = delete;
  coordinator_client& operator=(const coordinator_client&) = delete;

  // Connects unless connected; an error says why the coordinator is unreachable.
  status connect();
  const std::string& where() const { return where_; }

  // An error is either the coordinator's own answer, with its code (e.g.
  // errc::not_found: "no job with id 7") or "the coordinator did not
  // answer: ..." (errc::io_error).
  result<std::vector<node_info>> nodes(caf::timespan timeout = request_timeout);
  result<std::vector<job_info>> jobs(caf::timespan timeout = request_timeout);
  result<std::vector<task_info>> actors(uint64_t job, caf::timespan timeout = request_timeout);
  result<task_info> inspect(const std::string& actor, caf::timespan timeout = request_timeout);
  status cancel(uint64_t job, caf::timespan timeout = request_timeout);
  // The job's checkpoints and savepoints, oldest first.
  result<std::vector<checkpoint_info>> checkpoints(uint64_t job,
                                                   caf::timespan timeout = request_timeout);
  // Triggers a checkpoint and waits until it completed or failed (its status
  // says which). Ends at once if the coordinator is lost (long_request.hpp).
  result<checkpoint_info> checkpoint(uint64_t job, caf::timespan timeout = checkpoint_timeout);
  // Takes a savepoint; its id, e.g. "3-17". Like checkpoint().
  result<std::string> savepoint(uint64_t job, caf::timespan timeout = checkpoint_timeout);
  // Stops the job as `mode` says; the savepoint's id for stop_mode::savepoint.
  result<std::string> stop(uint64_t job, stop_mode mode,
                           caf::timespan timeout = checkpoint_timeout);
  // The job's graph as planned.
  result<job_graph> graph(uint64_t job, caf::timespan timeout = request_timeout);
  // Fault injection: task actor `actor` ("JOB.TASK") dies as if it crashed.
  status kill(const std::string& actor, caf::timespan timeout = request_timeout);
  result<std::vector<restart_info>> restarts(uint64_t job, caf::timespan timeout = request_timeout);
  result<std::vector<checkpoint_record>> savepoints(caf::timespan timeout = request_timeout);

 private:
  // Sends (xs...) and hands the reply to `on_reply`, whose parameters name
  // the reply's types; the status tells why there was no reply.
  template <class OnReply, class... Ts>
  status ask(caf::timespan timeout, OnReply on_reply, Ts&&... xs);
  // The same for a request that may take long (long_request.hpp).
  template <class OnReply, class... Ts>
  status ask_long(caf::timespan timeout, OnReply on_reply, Ts&&... xs);
  // A request answered with (status, T): the T, or the status when it is
  // an error, or why there was no answer. `long_wait`: through ask_long.
  template <class T, class... Ts>
  result<T> ask_for(caf::timespan timeout, bool long_wait, Ts&&... xs);
  // A request answered with a status alone.
  template <class... Ts>
  status ask_status(caf::timespan timeout, Ts&&... xs);
  void notice_loss();

  caf::actor_system& sys_;
  std::string where_;
  std::ostream& notices_;
  caf::scoped_actor self_;
  caf::actor coordinator_;  // null until connected, and after the connection was lost
  std::string lost_;        // why the last connection ended; empty if it did not
};

}  // namespace nagare::cli::shell
