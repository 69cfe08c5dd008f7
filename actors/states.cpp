#include "states.hpp"

namespace nagare {

const char* to_string(job_state s) {
  switch (s) {
    case job_state::running:
      return "RUNNING";
    case job_state::finished:
      return "FINISHED";
    case job_state::failed:
      return "FAILED";
    case job_state::canceled:
      return "CANCELED";
    case job_state::stopped:
      return "STOPPED";
    case job_state::unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

const char* to_string(task_state s) {
  switch (s) {
    case task_state::created:
      return "CREATED";
    case task_state::running:
      return "RUNNING";
    case task_state::draining:
      return "DRAINING";
    case task_state::ended:
      return "ENDED";
    case task_state::finished:
      return "FINISHED";
    case task_state::restarting:
      return "RESTARTING";
    case task_state::unreachable:
      return "UNREACHABLE";
  }
  return "UNKNOWN";
}

const char* to_string(checkpoint_kind k) {
  return k == checkpoint_kind::savepoint ? "SAVEPOINT" : "CHECKPOINT";
}

const char* to_string(checkpoint_status s) {
  switch (s) {
    case checkpoint_status::in_progress:
      return "IN_PROGRESS";
    case checkpoint_status::completed:
      return "COMPLETED";
    case checkpoint_status::failed:
      return "FAILED";
  }
  return "UNKNOWN";
}

const char* to_string(restart_outcome o) {
  switch (o) {
    case restart_outcome::restarting:
      return "RESTARTING";
    case restart_outcome::running:
      return "RUNNING";
    case restart_outcome::gave_up:
      return "GAVE_UP";
  }
  return "UNKNOWN";
}

const char* to_string(node_state s) { return s == node_state::alive ? "ALIVE" : "LOST"; }

std::optional<job_state> parse_job_state(std::string_view word) {
  for (auto s : {job_state::running, job_state::finished, job_state::failed, job_state::canceled,
                 job_state::stopped, job_state::unknown})
    if (word == to_string(s)) return s;
  return std::nullopt;
}

}  // namespace nagare
