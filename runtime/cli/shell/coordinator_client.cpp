#include "coordinator_client.hpp"

#include <utility>

#include "../common.hpp"
#include "../long_request.hpp"

namespace nagare::cli::shell {

namespace {

std::string seconds_text(caf::timespan t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

}  // namespace

coordinator_client::coordinator_client(caf::actor_system& sys, std::string where,
                                       std::ostream& notices)
    : sys_(sys), where_(std::move(where)), notices_(notices), self_(sys) {}

coordinator_client::coordinator_client(caf::actor_system& sys, caf::actor coordinator,
                                       std::ostream& notices)
    : sys_(sys),
      where_("local"),
      notices_(notices),
      self_(sys),
      coordinator_(std::move(coordinator)) {}

void coordinator_client::notice_loss() {
  if (!coordinator_) return;
  // A down_msg for the coordinator's proxy, if one is waiting: requests to a
  // dead proxy would otherwise wait their whole timeout (CAF-NOTES §1).
  self_->receive(
      [&](caf::down_msg& m) {
        if (m.source != coordinator_.address()) return;
        coordinator_ = nullptr;
        if (m.reason == caf::exit_reason::remote_link_unreachable)
          lost_ = "it became unreachable";
        else
          lost_ = m.reason ? sys_.render(m.reason) : "it shut down";
      },
      caf::after(std::chrono::seconds(0)) >> [] {});
}

status coordinator_client::connect() {
  notice_loss();
  if (coordinator_) return {};
  auto c = connect_coordinator(sys_, where_);
  if (!c.ok()) {
    if (lost_.empty()) return c.error();
    return status::io_error("lost the connection to the coordinator (" + lost_ +
                            ") and cannot reconnect: " + c.error().message());
  }
  coordinator_ = std::move(c.value());
  self_->monitor(coordinator_);
  if (!lost_.empty()) {
    notices_ << "note: reconnected to the coordinator at " << where_
             << " (the connection was lost: " << lost_ << ")" << std::endl;
    lost_.clear();
  }
  return {};
}

template <class OnReply, class... Ts>
status coordinator_client::ask(caf::timespan timeout, OnReply on_reply, Ts&&... xs) {
  if (auto connected = connect(); !connected.ok()) return connected;
  status outcome;
  self_->request(coordinator_, timeout, std::forward<Ts>(xs)...)
      .receive(on_reply, [&](caf::error& e) {
        auto why = e == caf::sec::request_timeout ? "no reply within " + seconds_text(timeout)
                                                  : sys_.render(e);
        outcome = status::io_error("the coordinator did not answer: " + why);
      });
  return outcome;
}

template <class OnReply, class... Ts>
status coordinator_client::ask_long(caf::timespan timeout, OnReply on_reply, Ts&&... xs) {
  if (auto connected = connect(); !connected.ok()) return connected;
  std::string lost;
  auto outcome =
      long_request(sys_, coordinator_, timeout, &lost, on_reply, std::forward<Ts>(xs)...);
  if (!lost.empty()) {
    // self_'s own down_msg may not have arrived yet: forget the proxy now, so
    // that the next call reconnects (and says so).
    lost_ = lost;
    coordinator_ = nullptr;
  }
  return outcome;
}

result<std::vector<node_info>> coordinator_client::nodes(caf::timespan timeout) {
  std::vector<node_info> out;
  auto st = ask(
      timeout, [&](std::vector<node_info>& nodes) { out = std::move(nodes); }, nodes_atom::value);
  if (!st.ok()) return st;
  return out;
}

result<std::vector<job_info>> coordinator_client::jobs(caf::timespan timeout) {
  std::vector<job_info> out;
  auto st = ask(
      timeout, [&](std::vector<job_info>& jobs) { out = std::move(jobs); }, jobs_atom::value);
  if (!st.ok()) return st;
  return out;
}

template <class T, class... Ts>
result<T> coordinator_client::ask_for(caf::timespan timeout, bool long_wait, Ts&&... xs) {
  T out{};
  status error;
  auto on_reply = [&](status& e, T& r) {
    error = std::move(e);
    out = std::move(r);
  };
  auto st = long_wait ? ask_long(timeout, on_reply, std::forward<Ts>(xs)...)
                      : ask(timeout, on_reply, std::forward<Ts>(xs)...);
  if (!st.ok()) return st;
  if (!error.ok()) return error;
  return out;
}

template <class... Ts>
status coordinator_client::ask_status(caf::timespan timeout, Ts&&... xs) {
  status error;
  auto st = ask(
      timeout, [&](status& e) { error = std::move(e); }, std::forward<Ts>(xs)...);
  return st.ok() ? error : st;
}

result<std::vector<task_info>> coordinator_client::actors(uint64_t job, caf::timespan timeout) {
  return ask_for<std::vector<task_info>>(timeout, false, actors_atom::value, job);
}

result<task_info> coordinator_client::inspect(const std::string& actor, caf::timespan timeout) {
  return ask_for<task_info>(timeout, false, inspect_atom::value, actor);
}

status coordinator_client::cancel(uint64_t job, caf::timespan timeout) {
  return ask_status(timeout, cancel_atom::value, job);
}

result<std::vector<checkpoint_info>> coordinator_client::checkpoints(uint64_t job,
                                                                     caf::timespan timeout) {
  return ask_for<std::vector<checkpoint_info>>(timeout, false, checkpoints_atom::value, job);
}

result<checkpoint_info> coordinator_client::checkpoint(uint64_t job, caf::timespan timeout) {
  return ask_for<checkpoint_info>(timeout, true, checkpoint_atom::value, job);
}

result<std::string> coordinator_client::savepoint(uint64_t job, caf::timespan timeout) {
  auto id = ask_for<std::string>(timeout, true, savepoint_atom::value, job);
  if (id.ok() && id->empty()) return status::io_error("the coordinator named no savepoint");
  return id;
}

result<std::string> coordinator_client::stop(uint64_t job, stop_mode mode, caf::timespan timeout) {
  return ask_for<std::string>(timeout, true, stop_atom::value, job, static_cast<uint8_t>(mode));
}

result<job_graph> coordinator_client::graph(uint64_t job, caf::timespan timeout) {
  return ask_for<job_graph>(timeout, false, graph_atom::value, job);
}

status coordinator_client::kill(const std::string& actor, caf::timespan timeout) {
  return ask_status(timeout, kill_atom::value, actor);
}

result<std::vector<restart_info>> coordinator_client::restarts(uint64_t job,
                                                               caf::timespan timeout) {
  return ask_for<std::vector<restart_info>>(timeout, false, restarts_atom::value, job);
}

result<std::vector<checkpoint_record>> coordinator_client::savepoints(caf::timespan timeout) {
  return ask_for<std::vector<checkpoint_record>>(timeout, false, savepoints_atom::value);
}

}  // namespace nagare::cli::shell
